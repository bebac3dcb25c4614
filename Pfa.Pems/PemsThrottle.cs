using System.Net;
using System.Threading.RateLimiting;

namespace Pfa.Pems;

/// <summary>
/// Paces every PEMS request of a process through one token bucket, and holds all of them back while PEMS has asked
/// to wait (429 with Retry-After). Shared by every client of the process: PEMS limits the service user, not one call site.
/// </summary>
public sealed class PemsThrottle : IDisposable
{
    private readonly TokenBucketRateLimiter _limiter;
    private readonly TimeProvider _time;
    private long _pausedUntilTicks;

    public PemsThrottle(double maxRequestsPerSecond, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxRequestsPerSecond, 0);
        _time = time ?? TimeProvider.System;
        MaxRequestsPerSecond = maxRequestsPerSecond;
        // One token, refilled every 1/rate: requests leave evenly spaced, so no clock second (PEMS's window) sees a burst.
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1 / maxRequestsPerSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public double MaxRequestsPerSecond { get; }

    /// <summary>Until when PEMS asked us to send nothing (the latest Retry-After seen).</summary>
    public DateTimeOffset PausedUntil => new(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero);

    /// <summary>Waits out a Retry-After pause, then for a token.</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        var pause = PausedUntil - _time.GetUtcNow();
        if (pause > TimeSpan.Zero) await Task.Delay(pause, _time, ct).ConfigureAwait(false);
        using var lease = await _limiter.AcquireAsync(1, ct).ConfigureAwait(false);
        if (!lease.IsAcquired) throw new InvalidOperationException("The PEMS throttle refused a request."); // unreachable with an unbounded queue
    }

    /// <summary>Every request of the process waits until <paramref name="until"/> (never shortens a longer pause).</summary>
    public void PauseUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long seen;
        while ((seen = Interlocked.Read(ref _pausedUntilTicks)) < ticks && Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, seen) != seen) { }
    }

    /// <summary>The pause a 429 asks for: Retry-After as seconds or a date, else one second.</summary>
    public void OnRateLimited(HttpResponseMessage response)
    {
        var now = _time.GetUtcNow();
        var wait = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => TimeSpan.FromSeconds(1),
        };
        if (wait > TimeSpan.Zero) PauseUntil(now + wait);
    }

    public DelegatingHandler CreateHandler() => new Handler(this);

    public void Dispose() => _limiter.Dispose();

    /// <summary>One per HttpClient handler chain (a handler instance cannot be shared); the throttle behind it is.</summary>
    private sealed class Handler(PemsThrottle throttle) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) throttle.OnRateLimited(response);
            return response;
        }
    }
}
