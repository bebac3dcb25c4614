using System.Text.Json;
using StackExchange.Redis;

namespace Pfa.Api.Infrastructure;

/// <summary>Publishes draft and sync events on Redis for the UI (channel <c>pfa:events:{org}</c>). Best effort: a Redis outage never fails an edit.</summary>
public sealed class EventPublisher(IConnectionMultiplexer redis, ILogger<EventPublisher> logger)
{
    public async Task PublishAsync(string orgCode, string type, object payload)
    {
        try
        {
            var message = JsonSerializer.Serialize(new { type, org = orgCode, at = DateTimeOffset.UtcNow, payload });
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(Pfa.Domain.PfaEvents.Channel(orgCode)), message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Could not publish {Type} for {Org}", type, orgCode);
        }
    }
}

/// <summary>
/// KPI/timeline cache. Keys carry the organization's mirror version and the caller's draft version, so a sync or an edit
/// simply moves readers to a new key: no scans, no deletes; stale keys expire.
/// </summary>
public sealed class KpiCache(IConnectionMultiplexer redis, ILogger<KpiCache> logger)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(15);

    public static string Key(string kind, OrgContext ctx, bool includeDrafts, string? variant) =>
        $"pfa:{kind}:{ctx.OrganizationId}:m{ctx.MirrorVersion}:{(includeDrafts ? $"u{ctx.UserId}:d{ctx.DraftVersion}" : "base")}:{variant ?? "-"}";

    public async Task<(T Value, bool Hit)> GetOrCreateAsync<T>(string key, Func<Task<T>> create)
    {
        try
        {
            var cached = await redis.GetDatabase().StringGetAsync(key);
            if (cached.HasValue) return (JsonSerializer.Deserialize<T>(cached.ToString())!, true);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "KPI cache read failed; computing");
        }
        var value = await create();
        try
        {
            await redis.GetDatabase().StringSetAsync(key, JsonSerializer.Serialize(value), Ttl);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "KPI cache write failed");
        }
        return (value, false);
    }
}
