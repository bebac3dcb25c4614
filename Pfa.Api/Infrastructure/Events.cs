using System.Text.Json;
using StackExchange.Redis;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Publishes draft and sync events on Redis for the UI (channel <c>pfa:events:{org}</c>). Best effort: a Redis outage never
/// fails or slows an edit. Fire-and-forget (the message is queued on the connection in order; no round trip awaited) and
/// skipped while the <see cref="RedisBreaker"/> is open.
/// </summary>
public sealed class EventPublisher(IConnectionMultiplexer redis, RedisBreaker breaker)
{
    public async Task PublishAsync(string orgCode, string type, object payload)
    {
        var message = JsonSerializer.Serialize(new { type, org = orgCode, at = DateTimeOffset.UtcNow, payload });
        await breaker.TryAsync(() => redis.GetSubscriber().PublishAsync(
            RedisChannel.Literal(Pfa.Domain.PfaEvents.Channel(orgCode)), message, CommandFlags.FireAndForget), $"publish of {type}");
    }
}

/// <summary>
/// KPI/timeline cache. Keys carry the organization's mirror version and the caller's draft version, so a sync or an edit
/// simply moves readers to a new key: no scans, no deletes; stale keys expire. Without Redis (breaker open) every read
/// computes from PostgreSQL.
/// </summary>
public sealed class KpiCache(IConnectionMultiplexer redis, RedisBreaker breaker)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(15);

    public static string Key(string kind, OrgContext ctx, bool includeDrafts, string? variant) =>
        $"pfa:{kind}:{ctx.OrganizationId}:m{ctx.MirrorVersion}:{(includeDrafts ? $"u{ctx.UserId}:d{ctx.DraftVersion}" : "base")}:{variant ?? "-"}";

    public async Task<(T Value, bool Hit)> GetOrCreateAsync<T>(string key, Func<Task<T>> create)
    {
        var (read, cached) = await breaker.TryAsync(() => redis.GetDatabase().StringGetAsync(key), "KPI cache read");
        if (read && cached.HasValue) return (JsonSerializer.Deserialize<T>(cached.ToString())!, true);
        var value = await create();
        await breaker.TryAsync(() => redis.GetDatabase().StringSetAsync(key, JsonSerializer.Serialize(value), Ttl), "KPI cache write");
        return (value, false);
    }
}
