using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Redis is an optional accelerator (KPI cache, live events): when it fails, the API skips it for a while instead of paying
/// a timeout on every call. A Polly circuit breaker opens after two failures in 10 s (at least half the calls) and stays
/// open 15 s; then one call probes. While it is open, <see cref="TryAsync{T}"/> returns "not done" at once.
/// </summary>
public sealed class RedisBreaker
{
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(15);

    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger<RedisBreaker> _logger;

    public RedisBreaker(ILogger<RedisBreaker> logger, TimeProvider? time = null)
    {
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<TimeoutException>(),
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = BreakDuration,
                OnOpened = a => { logger.LogWarning(a.Outcome.Exception, "Redis unavailable: skipping it for {Seconds} s", a.BreakDuration.TotalSeconds); return default; },
                OnClosed = _ => { logger.LogInformation("Redis is back: cache and events resume"); return default; },
            })
            .Build();
    }

    /// <summary>Runs <paramref name="action"/> against Redis unless the breaker is open; never throws a Redis failure.</summary>
    public async Task<(bool Done, T? Value)> TryAsync<T>(Func<Task<T>> action, string what)
    {
        try
        {
            return (true, await _pipeline.ExecuteAsync(async _ => await action()));
        }
        catch (BrokenCircuitException)
        {
            return (false, default);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _logger.LogWarning("Redis {What} failed: {Message}", what, e.Message);
            return (false, default);
        }
    }

    /// <summary>
    /// Client options for an optional Redis: never block the caller on a missing connection (no backlog: a command fails at
    /// once while disconnected), short timeouts, and keep reconnecting in the background.
    /// </summary>
    public static void Configure(ConfigurationOptions options)
    {
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2000;
        options.SyncTimeout = 1000;
        options.AsyncTimeout = 1000;
    }
}
