using Microsoft.AspNetCore.HttpOverrides;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Which address a request is for. Sign-ins reach the API through the web app, which names the browser in
/// <c>X-Forwarded-For</c>; in Azure Container Apps the internal ingress then appends the web app's own address. So two
/// hops are read (browser, web), and only from trusted proxies: loopback by default, the networks listed in
/// <c>ForwardedHeaders:KnownNetworks</c>, or every ingress when <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c> is set (Aspire's
/// Container Apps deployment sets it; the API has no public ingress there). Otherwise every browser would share the web
/// app's address and one address's failed sign-in limit would lock everyone out.
/// </summary>
public static class ForwardedClient
{
    public const int Hops = 2;

    public static IServiceCollection AddForwardedClient(this IServiceCollection services, IConfiguration configuration) =>
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders |= ForwardedHeaders.XForwardedFor;
            options.ForwardLimit = Hops;
            foreach (var network in configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [])
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
}
