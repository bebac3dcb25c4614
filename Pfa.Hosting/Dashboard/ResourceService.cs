using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pfa.Hosting.Dashboard;

/// <summary>
/// The resource service the dashboard reads resources, console output and commands from (Aspire's DashboardService,
/// as JSON over HTTP instead of gRPC). Hosted inside the AppHost on loopback; every call needs the per-run API key.
/// </summary>
internal sealed class ResourceService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ResourceService(WebApplication app) => _app = app;

    public static async Task<ResourceService> StartAsync(DashboardSettings settings, ResourceServiceModel model, CancellationToken cancellationToken)
    {
        // The empty builder reads no appsettings or environment: the AppHost's own configuration must not reconfigure it.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(ResourceService).FullName });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.ListenLocalhost(settings.ResourceServicePort));
        builder.Services.AddRoutingCore();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = ResourceServiceContract.JsonOptions.PropertyNamingPolicy);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(model);
        builder.Services.AddSingleton(settings);

        var app = builder.Build();
        app.MapResourceServiceApi(settings.ResourceServiceApiKey);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new DistributedApplicationException(
                $"The dashboard's resource service cannot listen on port {settings.ResourceServicePort} ({e.Message}). " +
                "Choose another with AppHost:Dashboard:ResourceServicePort, or turn the dashboard off with AppHost:Dashboard:Enabled=false.");
        }
        return new ResourceService(app);
    }

    public async ValueTask DisposeAsync()
    {
        // Stopping ends the open event streams (they follow ApplicationStopping), so this returns promptly.
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
