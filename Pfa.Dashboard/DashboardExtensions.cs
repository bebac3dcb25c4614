using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MudBlazor.Services;
using Pfa.Dashboard.Apis;
using Pfa.Dashboard.Auth;
using Pfa.Dashboard.Components;
using Pfa.Dashboard.Otlp;
using Pfa.Dashboard.Resources;
using Pfa.Dashboard.Telemetry;

namespace Pfa.Dashboard;

public static class DashboardExtensions
{
    public static WebApplicationBuilder AddPfaDashboard(this WebApplicationBuilder builder)
    {
        var options = DashboardOptions.From(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(options);
        // Every endpoint is declared below; ASPNETCORE_URLS was read into the options, so Kestrel need not warn about overriding it.
        builder.WebHost.UseUrls();
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureEndpoints(kestrel, options));

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddFrontendAuth(options);

        // Telemetry: memory first, SQLite behind it (loaded at start, written off the request path).
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options.Telemetry);
        services.AddSingleton(sp => new TelemetryDatabase(options.StoragePath));
        services.AddSingleton<TelemetryWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryWriter>());
        services.AddSingleton(sp =>
        {
            var writer = sp.GetRequiredService<TelemetryWriter>();
            var store = new TelemetryStore(options.Telemetry, writer);
            var cutoff = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime - options.Telemetry.Retention;
            store.Restore(sp.GetRequiredService<TelemetryDatabase>().Load(options.Telemetry, cutoff));
            writer.Attach(store);
            return store;
        });
        services.AddSingleton<OtlpConverter>();
        services.AddSingleton<OtlpApiKey>();
        services.AddGrpc(o => o.Interceptors.Add<OtlpApiKeyInterceptor>());

        // Resources from the AppHost's resource service.
        services.AddHttpClient<ResourceServiceClient>(http =>
        {
            http.BaseAddress = options.ResourceServiceUrl;
            http.Timeout = Timeout.InfiniteTimeSpan; // watch and console streams stay open; each call sets its own timeout
            if (options.ResourceServiceApiKey is { } key) http.DefaultRequestHeaders.Add(ResourceServiceClient.ApiKeyHeader, key);
        });
        // One long-lived watch stream for every page (loopback only, so the captured client's handler never goes stale).
        services.AddSingleton<ResourceWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<ResourceWatcher>());
        return builder;
    }

    public static WebApplication MapPfaDashboard(this WebApplication app)
    {
        // Load persisted telemetry before the first request rather than on it.
        app.Services.GetRequiredService<TelemetryStore>();

        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapGrpcService<OtlpTraceService>();
        app.MapGrpcService<OtlpLogsService>();
        app.MapGrpcService<OtlpMetricsService>();
        app.MapOtlpHttpApi();
        app.MapTelemetryApi();
        app.MapConsoleApi();
        app.MapGet("/health", () => "Healthy").AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>One Kestrel endpoint per configured URL; the OTLP/gRPC one speaks HTTP/2 only (gRPC without TLS needs it).</summary>
    private static void ConfigureEndpoints(KestrelServerOptions kestrel, DashboardOptions options)
    {
        foreach (var url in options.UiUrls) Listen(kestrel, url, WebProtocols(url));
        if (options.OtlpGrpcUrl is { } grpc) Listen(kestrel, grpc, HttpProtocols.Http2);
        if (options.OtlpHttpUrl is { } http) Listen(kestrel, http, WebProtocols(http));
    }

    // HTTP/2 next to HTTP/1.1 needs TLS (ALPN); without it Kestrel would only warn and serve HTTP/1.1.
    private static HttpProtocols WebProtocols(Uri url) => url.Scheme == Uri.UriSchemeHttps ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;

    private static void Listen(KestrelServerOptions kestrel, Uri url, HttpProtocols protocols)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (url.Scheme == Uri.UriSchemeHttps) listen.UseHttps();
        }

        if (url.IsLoopback && url.Host == "localhost") kestrel.ListenLocalhost(url.Port, Configure);
        else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address)) kestrel.Listen(address, url.Port, Configure);
        else kestrel.ListenAnyIP(url.Port, Configure);
    }
}
