using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace Pfa.Dashboard.Resources;

/// <summary>The AppHost's resource service over HTTP (see <see cref="ResourceSnapshot"/> for the contract).</summary>
public sealed class ResourceServiceClient(HttpClient http)
{
    public const string ApiKeyHeader = "x-resource-service-api-key";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public bool IsConfigured => http.BaseAddress is not null;

    public async Task<IReadOnlyList<ResourceSnapshot>> GetResourcesAsync(CancellationToken ct)
    {
        using var timeout = Timeout(ct);
        return await http.GetFromJsonAsync<List<ResourceSnapshot>>("api/v1/resources", Json, timeout.Token) ?? [];
    }

    /// <summary>Every resource first, then each change, until the stream ends or <paramref name="ct"/> fires.</summary>
    public IAsyncEnumerable<ResourceSnapshot> WatchAsync(CancellationToken ct) => StreamAsync<ResourceSnapshot>("api/v1/resources/watch", ct);

    public async Task<IReadOnlyList<ConsoleLine>> GetConsoleAsync(string? resource, int tail, CancellationToken ct)
    {
        using var timeout = Timeout(ct);
        return await http.GetFromJsonAsync<List<ConsoleLine>>(ConsolePath(resource, tail, follow: false), Json, timeout.Token) ?? [];
    }

    /// <summary>The last <paramref name="tail"/> lines, then new lines as they are written.</summary>
    public IAsyncEnumerable<ConsoleLine> FollowConsoleAsync(string? resource, int tail, CancellationToken ct) =>
        StreamAsync<ConsoleLine>(ConsolePath(resource, tail, follow: true), ct);

    public async Task<CommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken ct)
    {
        using var timeout = Timeout(ct, TimeSpan.FromMinutes(2)); // a restart waits for the resource to stop and start
        using var response = await http.PostAsync($"api/v1/resources/{Uri.EscapeDataString(resource)}/commands/{Uri.EscapeDataString(command)}",
            content: null, timeout.Token);
        if (response.IsSuccessStatusCode)
            return await response.Content.ReadFromJsonAsync<CommandResult>(Json, timeout.Token) ?? new CommandResult(true, null);
        var problem = await ReadProblemAsync(response, timeout.Token);
        return new CommandResult(false, problem?.Detail ?? problem?.Title ?? $"The resource service answered {(int)response.StatusCode} {response.ReasonPhrase}.");
    }

    private static async Task<ProblemDetails?> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ProblemDetails>(Json, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async IAsyncEnumerable<T> StreamAsync<T>(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(ct))
        {
            if (string.IsNullOrWhiteSpace(item.Data)) continue;
            if (JsonSerializer.Deserialize<T>(item.Data, Json) is { } value) yield return value;
        }
    }

    private static string ConsolePath(string? resource, int tail, bool follow) =>
        (resource is null ? "api/v1/console" : $"api/v1/resources/{Uri.EscapeDataString(resource)}/console")
        + $"?tail={tail}&follow={(follow ? "true" : "false")}";

    private static CancellationTokenSource Timeout(CancellationToken ct, TimeSpan? after = null)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(after ?? RequestTimeout);
        return cts;
    }
}
