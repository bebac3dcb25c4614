using System.Text.Json;
using StackExchange.Redis;

namespace Pfa.SyncWorker;

/// <summary>
/// "organization synced" on the API's event channel (<c>pfa:events:{org}</c>, same message shape). Best effort and optional:
/// without a Redis connection the event is skipped (the API's caches key on mirror_version, so they never go stale).
/// Fire-and-forget, and the client fails fast while disconnected (SyncWorkerExtensions): a sync never waits on Redis.
/// </summary>
public sealed class SyncEvents(ILogger<SyncEvents> logger, IConnectionMultiplexer? redis = null)
{
    public const string OrganizationSynced = Pfa.Domain.PfaEvents.OrganizationSynced;

    public async Task PublishAsync(string orgCode, string type, object payload)
    {
        if (redis is null) return;
        try
        {
            var message = JsonSerializer.Serialize(new { type, org = orgCode, at = DateTimeOffset.UtcNow, payload });
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(Pfa.Domain.PfaEvents.Channel(orgCode)), message, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Could not publish {Type} for {Org}", type, orgCode);
        }
    }
}
