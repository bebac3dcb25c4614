using Pfa.Domain;
using Pfa.Web.Api;

namespace Pfa.Web.State;

public enum LiveConnection { Idle, Connecting, Connected, Reconnecting }

/// <summary>
/// The live events of the current organization for one circuit (scoped): reads the API's SSE stream in the background,
/// reconnects with back-off when it drops, and raises <see cref="Received"/> for every event. Subscribers are called on
/// the reader's thread: components marshal with <c>InvokeAsync</c>.
/// </summary>
public sealed class LiveEvents(PfaEventStream stream, PfaApiClient api, ILogger<LiveEvents> logger) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _run;
    private Task _loop = Task.CompletedTask;

    public string? Org { get; private set; }
    public LiveConnection Connection { get; private set; } = LiveConnection.Idle;
    public string? LastError { get; private set; }

    public event Action<LiveEvent>? Received;
    public event Action? ConnectionChanged;

    /// <summary>Back-off before reconnect attempt <paramref name="attempt"/> (1-based): 1, 2, 4, 8, 16, then 30 s.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Max(0, attempt - 1))));

    /// <summary>Follows <paramref name="org"/>'s events (a switch stops the previous stream); the same org again changes nothing.</summary>
    public void Watch(string org)
    {
        lock (_gate)
        {
            if (string.Equals(Org, org, StringComparison.OrdinalIgnoreCase) && _run is not null) return;
            _run?.Cancel();
            _run = new CancellationTokenSource();
            Org = org;
            var ct = _run.Token;
            _loop = Task.Run(() => RunAsync(org, ct), CancellationToken.None);
        }
    }

    private async Task RunAsync(string org, CancellationToken ct)
    {
        var attempt = 0;
        while (!ct.IsCancellationRequested)
        {
            SetConnection(attempt == 0 ? LiveConnection.Connecting : LiveConnection.Reconnecting, LastError);
            try
            {
                await foreach (var e in stream.ReadAsync(org, await api.TokenAsync(), ct))
                {
                    if (e.Type == PfaEvents.Connected) { attempt = 0; SetConnection(LiveConnection.Connected, null); }
                    Raise(e);
                }
                LastError = "The event stream ended.";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is PfaApiException or HttpRequestException or IOException)
            {
                LastError = e is PfaApiException p ? p.Describe() : e.Message;
                logger.LogInformation("Live events of {Org} interrupted: {Message}", org, LastError);
            }
            attempt++;
            SetConnection(LiveConnection.Reconnecting, LastError);
            try { await Task.Delay(Backoff(attempt), ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private void Raise(LiveEvent e)
    {
        if (Received is not { } handlers) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Action<LiveEvent>>())
        {
            // One failing subscriber must not stop the stream for the others.
            try { handler(e); }
            catch (Exception ex) { logger.LogWarning(ex, "A live event subscriber failed on {Type}", e.Type); }
        }
    }

    private void SetConnection(LiveConnection state, string? error)
    {
        LastError = error;
        if (Connection == state) return;
        Connection = state;
        ConnectionChanged?.Invoke();
    }

    public async ValueTask DisposeAsync()
    {
        Task loop;
        lock (_gate)
        {
            _run?.Cancel();
            loop = _loop;
        }
        try { await loop; }
        catch (OperationCanceledException) { }
        _run?.Dispose();
    }
}
