namespace Pfa.Hosting.Orchestration;

/// <summary>The HTTP health probe behind <c>WithHttpHealthCheck</c>.</summary>
internal static class HttpProbe
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) }) { Timeout = TimeSpan.FromSeconds(5) };

    public static async Task<string?> CheckAsync(string url, int expectedStatus, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return (int)response.StatusCode == expectedStatus ? null : $"GET {url} answered {(int)response.StatusCode}, expected {expectedStatus}.";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"GET {url}: {e.Message}";
        }
    }
}
