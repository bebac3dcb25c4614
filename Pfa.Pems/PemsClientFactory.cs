using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pfa.Pems;

/// <summary>
/// Makes a <see cref="PemsClient"/> per PEMS connection (each organization may have its own endpoint, tenant and
/// credentials) over pooled handlers from IHttpClientFactory.
/// </summary>
public sealed class PemsClientFactory(IHttpClientFactory httpClientFactory, ILoggerFactory loggerFactory, TimeProvider? time = null)
{
    public const string HttpClientName = "pems";

    public PemsClient Create(PemsClientOptions options)
    {
        var http = httpClientFactory.CreateClient(HttpClientName);
        // Attempts are timed by the client itself; HttpClient's own 100 s limit would cut retries short.
        http.Timeout = Timeout.InfiniteTimeSpan;
        return new PemsClient(http, options, loggerFactory.CreateLogger<PemsClient>(), time);
    }
}

public static class PemsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="PemsClientFactory"/> and the named HttpClient it uses; returns the builder to add handlers.</summary>
    public static IHttpClientBuilder AddPemsClientFactory(this IServiceCollection services)
    {
        services.AddSingleton<PemsClientFactory>();
        return services.AddHttpClient(PemsClientFactory.HttpClientName);
    }
}
