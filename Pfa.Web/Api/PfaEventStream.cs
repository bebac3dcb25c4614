using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Pfa.Web.Api;

/// <summary>
/// Reads the API's <c>GET /api/orgs/{org}/events</c> Server-Sent Events. Its own HttpClient: no resilience handler or
/// request timeout, which would cut a stream meant to stay open for the whole circuit.
/// </summary>
public sealed class PfaEventStream(HttpClient http)
{
    /// <summary>Events until the server closes the stream or <paramref name="ct"/> fires; a refusal throws <see cref="PfaApiException"/>.</summary>
    public async IAsyncEnumerable<LiveEvent> ReadAsync(string org, string? token, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new PfaApiException(0, "The PFA service cannot be reached.", inner: e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await PfaApiClient.ProblemAsync(response, ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(ct))
                if (Parse(item.EventType, item.Data) is { } e) yield return e;
        }
    }

    /// <summary>The <c>connected</c> and <c>heartbeat</c> items carry no envelope; every other item is one published message.</summary>
    public static LiveEvent? Parse(string type, string data)
    {
        try
        {
            var e = JsonSerializer.Deserialize<LiveEvent>(data, PfaApiClient.Json);
            return e is null ? null : e with { Type = e.Type ?? type };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
