using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using StackExchange.Redis;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Limits on failed sign-ins (<c>Auth:Throttle</c>). Per account: after <see cref="AccountFailures"/> failures within
/// <see cref="Window"/> the account is locked for <see cref="BaseLockout"/>, doubling with every further failure up to
/// <see cref="MaxLockout"/>. Per client address, across accounts: the same with <see cref="AddressFailures"/>.
/// </summary>
public sealed class LoginThrottleOptions
{
    public int AccountFailures { get; set; } = 5;
    public int AddressFailures { get; set; } = 20;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan BaseLockout { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The lock after the <paramref name="failures"/>-th failure: none below the threshold, then base · 2^(over), capped.</summary>
    public TimeSpan LockoutAfter(long failures, int threshold)
    {
        if (failures < threshold) return TimeSpan.Zero;
        var doublings = (int)Math.Min(failures - threshold, 20);
        var lockout = BaseLockout * Math.Pow(2, doublings);
        return lockout > MaxLockout ? MaxLockout : lockout;
    }
}

/// <summary>Why a sign-in is refused before its password is even looked at.</summary>
public sealed record LoginBlock(string Scope, TimeSpan RetryAfter)
{
    public const string Account = "account", Address = "address";
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}

/// <summary>
/// Failed-sign-in counters shared by every API replica through Redis (one hash per account and per address: failures and
/// the lock's end, expiring with the window). When Redis cannot be reached the counters degrade to this process's memory:
/// the limit then holds per replica rather than not at all (fail safe, not open, and never locking everybody out).
/// </summary>
public sealed class LoginThrottle(IConnectionMultiplexer redis, LoginThrottleOptions options, TimeProvider time, LoginMetrics metrics,
    ILogger<LoginThrottle> logger)
{
    private const string Prefix = "pfa:login-throttle:";
    // failures += 1; when at or over the threshold the lock ends at now + lockout; the key lives for the window (or the lock).
    private const string RecordScript = """
        local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
        local threshold = tonumber(ARGV[2])
        local now = tonumber(ARGV[1])
        local lockout = 0
        if failures >= threshold then
          local doublings = math.min(failures - threshold, 20)
          lockout = math.floor(math.min(tonumber(ARGV[4]) * (2 ^ doublings), tonumber(ARGV[5])))
          redis.call('HSET', KEYS[1], 'until', now + lockout)
        end
        redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[3]), lockout))
        return failures
        """;

    private readonly InMemoryCounters _fallback = new();
    private int _degradedLogged;

    public static string AccountKey(string username) => "acct:" + username;
    public static string AddressKey(string address) => "addr:" + address;

    /// <summary>The lock in force for this account or address, if any (the longer one wins).</summary>
    public async Task<LoginBlock?> CheckAsync(string? username, string? address)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        LoginBlock? block = null;
        foreach (var (scope, key) in Keys(username, address))
        {
            var until = await LockedUntilAsync(key);
            if (until > now && (block is null || until - now > block.RetryAfter.TotalMilliseconds))
                block = new LoginBlock(scope, TimeSpan.FromMilliseconds(until - now));
        }
        return block;
    }

    /// <summary>Counts a failed sign-in against the account (when named) and the address.</summary>
    public async Task RecordFailureAsync(string? username, string? address, string method)
    {
        metrics.Failure(method);
        foreach (var (scope, key) in Keys(username, address))
        {
            var threshold = scope == LoginBlock.Account ? options.AccountFailures : options.AddressFailures;
            await RecordAsync(key, threshold);
        }
    }

    /// <summary>A successful sign-in clears the account's failures (not the address's: one good password must not launder a spray).</summary>
    public async Task ResetAccountAsync(string username)
    {
        var key = AccountKey(username);
        _fallback.Remove(key);
        await TryRedisAsync(db => db.KeyDeleteAsync(Prefix + key), false);
    }

    private static IEnumerable<(string Scope, string Key)> Keys(string? username, string? address)
    {
        if (!string.IsNullOrEmpty(username)) yield return (LoginBlock.Account, AccountKey(username));
        // No address (an in-process test server, a Unix socket): no per-address rule rather than one bucket shared by all.
        if (!string.IsNullOrEmpty(address)) yield return (LoginBlock.Address, AddressKey(address));
    }

    private async Task<long> LockedUntilAsync(string key)
    {
        var (ok, value) = await TryRedisAsync(async db => await db.HashGetAsync(Prefix + key, "until"), RedisValue.Null);
        if (!ok) return _fallback.LockedUntil(key, time.GetUtcNow());
        return value.HasValue && long.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var until) ? until : 0;
    }

    private async Task RecordAsync(string key, int threshold)
    {
        var now = time.GetUtcNow();
        var (ok, _) = await TryRedisAsync(db => db.ScriptEvaluateAsync(RecordScript, [(RedisKey)(Prefix + key)],
            [now.ToUnixTimeMilliseconds(), threshold, (long)options.Window.TotalMilliseconds,
             (long)options.BaseLockout.TotalMilliseconds, (long)options.MaxLockout.TotalMilliseconds]), RedisResult.Create(RedisValue.Null));
        if (!ok) _fallback.Record(key, now, threshold, options);
    }

    private async Task<(bool Ok, T Value)> TryRedisAsync<T>(Func<IDatabase, Task<T>> call, T fallback)
    {
        // Not connected: do not wait for a timeout on every sign-in; the in-process counters answer at once.
        if (!redis.IsConnected) return Degraded<T>(null, fallback);
        try
        {
            var value = await call(redis.GetDatabase());
            Interlocked.Exchange(ref _degradedLogged, 0);
            return (true, value);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Degraded(e, fallback);
        }
    }

    private (bool, T) Degraded<T>(Exception? e, T fallback)
    {
        if (Interlocked.Exchange(ref _degradedLogged, 1) == 0)
            logger.LogWarning(e, "Redis unavailable: sign-in throttling falls back to this replica's memory.");
        return (false, fallback);
    }

    /// <summary>The same counters in process memory (window and lock as in Redis), for when Redis is away.</summary>
    private sealed class InMemoryCounters
    {
        private sealed record Entry(long Failures, DateTimeOffset Until, DateTimeOffset Expires);
        private readonly ConcurrentDictionary<string, Entry> _entries = new();

        public long LockedUntil(string key, DateTimeOffset now) =>
            _entries.TryGetValue(key, out var e) && e.Expires > now ? e.Until.ToUnixTimeMilliseconds() : 0;

        public void Record(string key, DateTimeOffset now, int threshold, LoginThrottleOptions options)
        {
            _entries.AddOrUpdate(key, _ => Next(0, null), (_, e) => Next(e.Expires > now ? e.Failures : 0, e.Expires > now ? e : null));
            if (_entries.Count > 100_000) Prune(now); // a spray of random names must not grow memory without bound

            Entry Next(long failures, Entry? previous)
            {
                var lockout = options.LockoutAfter(failures + 1, threshold);
                var until = lockout > TimeSpan.Zero ? now + lockout : previous?.Until ?? DateTimeOffset.MinValue;
                return new Entry(failures + 1, until, now + (lockout > options.Window ? lockout : options.Window));
            }
        }

        public void Remove(string key) => _entries.TryRemove(key, out _);

        private void Prune(DateTimeOffset now)
        {
            foreach (var (key, e) in _entries)
                if (e.Expires <= now) _entries.TryRemove(key, out _);
        }
    }
}

/// <summary>Meter <c>Pfa.Auth</c>: failed sign-ins and sign-ins refused by the throttle.</summary>
public sealed class LoginMetrics
{
    public const string MeterName = PfaTelemetry.Auth;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _throttled;

    public LoginMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _failures = meter.CreateCounter<long>("pfa.auth.failures", description: "Failed sign-ins (wrong password, unknown user, invalid external token).");
        _throttled = meter.CreateCounter<long>("pfa.auth.throttled", description: "Sign-ins refused with 429 by the failed-sign-in limits.");
    }

    public void Failure(string method) => _failures.Add(1, new KeyValuePair<string, object?>("method", method));
    public void Throttled(string method, string scope) =>
        _throttled.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("scope", scope));
}
