using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;

namespace Pfa.PemsSimulator;

/// <summary>
/// Fault injection for /axis calls, decided per request in this order: the X-Pems-Sim-Fault header, the queue filled
/// by POST /admin/faults/queue (one fault per request, deterministic for tests), then the configured ratios and rate.
/// Faults: 429, 500, 502, 503, timeout, truncate, malformed, latency:&lt;ms&gt;, none.
/// </summary>
public sealed class FaultInjector
{
    public const string Header = "X-Pems-Sim-Fault";

    private readonly ConcurrentQueue<string> _queue = new();
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Random _rng;
    private long _windowSecond;
    private int _windowCount;
    private readonly TimeProvider _time;

    public FaultInjector(IOptions<SimulatorOptions> options, TimeProvider time)
    {
        Options = options.Value.Faults;
        _rng = new Random(Options.Seed ?? 1);
        _time = time;
    }

    public FaultOptions Options { get; private set; }

    public void Replace(FaultOptions options)
    {
        lock (_gate)
        {
            Options = options;
            _rng = new Random(options.Seed ?? 1);
        }
    }

    public void Enqueue(IEnumerable<string> faults)
    {
        foreach (var f in faults) _queue.Enqueue(f);
    }

    public int Queued => _queue.Count;

    public void ClearQueue() => _queue.Clear();

    /// <summary>How many requests got each fault since start (e.g. "429": 3), so a test can prove a client stayed under the rate.</summary>
    public IReadOnlyDictionary<string, int> Served => new SortedDictionary<string, int>(_served, StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var fault = context.Request.Headers[Header].FirstOrDefault()
            ?? (_queue.TryDequeue(out var q) ? q : null)
            ?? Background();
        var options = Options;
        if (fault is { Length: > 0 } f0 && f0.Trim().ToLowerInvariant() is var kind && kind != "none")
            _served.AddOrUpdate(kind.StartsWith("latency:", StringComparison.Ordinal) ? "latency" : kind, 1, (_, n) => n + 1);

        if (options.LatencyMs > 0) await Task.Delay(options.LatencyMs, context.RequestAborted);

        switch (fault?.Trim().ToLowerInvariant())
        {
            case null or "" or "none":
                await next(context);
                return;
            case var f when f.StartsWith("latency:", StringComparison.Ordinal) && int.TryParse(f["latency:".Length..], out var ms):
                await Task.Delay(ms, context.RequestAborted);
                await next(context);
                return;
            case "429":
                context.Response.Headers.RetryAfter = "1";
                await WriteError(context, 429, "Too many requests: PEMS allows a limited number of requests per second.");
                return;
            case "500" or "502" or "503" or "504":
                await WriteError(context, int.Parse(fault), "Internal server error (simulated).");
                return;
            case "timeout":
                try
                {
                    await Task.Delay(options.TimeoutHangMs, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return; // The client gave up, which is the point.
                }
                await WriteError(context, 504, "Gateway timeout (simulated).");
                return;
            case "truncate":
            {
                var original = context.Response.Body;
                context.Response.Body = new TruncatingStream(original, options.TruncateAfterBytes);
                try { await next(context); }
                finally { context.Response.Body = original; }
                return;
            }
            case "malformed":
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"Result\":{\"ResultData\":<html><body>Proxy Error</body></html>", Encoding.UTF8);
                return;
            default:
                await WriteError(context, 400, $"Unknown simulated fault '{fault}'.");
                return;
        }
    }

    private string? Background()
    {
        var o = Options;
        lock (_gate)
        {
            if (o.RateLimitPerSecond > 0)
            {
                var second = _time.GetUtcNow().ToUnixTimeSeconds();
                if (second != _windowSecond) { _windowSecond = second; _windowCount = 0; }
                if (++_windowCount > o.RateLimitPerSecond) return "429";
            }
            var roll = _rng.NextDouble();
            if ((roll -= o.ServerErrorRatio) < 0) return "503";
            if ((roll -= o.TimeoutRatio) < 0) return "timeout";
            if ((roll -= o.TruncateRatio) < 0) return "truncate";
            if ((roll -= o.MalformedRatio) < 0) return "malformed";
            return null;
        }
    }

    private static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(GridEngine.Error(message));
    }

    /// <summary>Passes the first N bytes through and swallows the rest, so the client sees a body cut mid-JSON.</summary>
    private sealed class TruncatingStream(Stream inner, int limit) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var room = (int)Math.Max(0, limit - _written);
            _written += buffer.Length;
            if (room > 0) await inner.WriteAsync(buffer[..Math.Min(room, buffer.Length)], cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
