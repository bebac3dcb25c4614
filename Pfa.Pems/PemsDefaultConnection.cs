using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Pfa.Pems;

/// <summary>
/// The default PEMS connection of a service (the sync worker and the API read it the same way): section "Pems", then
/// PEMS_TENANT / PEMS_USERNAME / PEMS_PASSWORD (what the AppHost's publish mode passes), and the endpoint from service
/// discovery (services__{name}__http__0) when none is configured.
/// </summary>
public static class PemsDefaultConnection
{
    public static PemsClientOptions FromConfiguration(IConfiguration config, string serviceName)
    {
        var options = config.GetSection(PemsClientOptions.SectionName).Get<PemsClientOptions>() ?? new PemsClientOptions();
        if (config["PEMS_TENANT"] is { Length: > 0 } tenant) options.Tenant = tenant;
        if (config["PEMS_USERNAME"] is { Length: > 0 } user) options.UserName = user;
        if (config["PEMS_PASSWORD"] is { Length: > 0 } password) options.Password = password;
        if (options.BaseAddress is null && config[$"services:{serviceName}:http:0"] is { Length: > 0 } url)
            options.BaseAddress = RestServices(new Uri(url));
        if (options.BaseAddress is null)
            throw new InvalidOperationException($"No PEMS endpoint: set Pems:BaseAddress or services__{serviceName}__http__0.");
        return options;
    }

    /// <summary>A bare host (as service discovery gives it) gets PEMS's REST root; an explicit path is kept.</summary>
    public static Uri RestServices(Uri url) =>
        url.AbsolutePath is "/" or "" ? new Uri(url, "axis/restservices/") : url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");

    /// <summary>
    /// Registers <see cref="PemsClientFactory"/>, the default <see cref="PemsClientOptions"/> (from <paramref name="configure"/>'s
    /// view of the configuration) and a singleton <see cref="PemsClient"/> on them. Returns the HttpClient builder for handlers.
    /// </summary>
    public static IHttpClientBuilder AddDefaultPemsClient(this IServiceCollection services, IConfiguration config, string serviceName,
        Action<PemsClientOptions>? configure = null)
    {
        var http = services.AddPemsClientFactory();
        services.AddSingleton(_ =>
        {
            var options = FromConfiguration(config, serviceName);
            configure?.Invoke(options);
            return options;
        });
        services.AddSingleton(sp => sp.GetRequiredService<PemsClientFactory>().Create(sp.GetRequiredService<PemsClientOptions>()));
        return http;
    }
}
