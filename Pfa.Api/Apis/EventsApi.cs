using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Domain;
using StackExchange.Redis;

namespace Pfa.Api.Apis;

public static class EventsApi
{
    /// <summary>A keep-alive every so often: proxies close idle streams, and a write is how a dead client is noticed.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}").WithTags("Events").RequireAuthorization().WithStandardProblems();
        group.MapGet("/events", Stream).WithSummary("Server-Sent Events of the organization (sync started/progress/finished, organization synced, sync requested); " +
                         "events about one user's drafts, commits, conflicts and write-back states only reach that user. " +
                         "The first event is 'connected'; 'heartbeat' follows every 15 s.");
        return app;
    }

    public static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> Stream(
        string orgCode, ClaimsPrincipal user, OrgAccess access, IConnectionMultiplexer redis, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Read, ct);
        if (ctx is null) return problem!;
        // Subscribe before answering, so whatever happens after the client sees 'connected' reaches it.
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PfaEvents.Channel(ctx.OrganizationCode)));
        return TypedResults.ServerSentEvents(Relay(queue, ctx, ct));
    }

    private static async IAsyncEnumerable<SseItem<string>> Relay(ChannelMessageQueue queue, OrgContext ctx, [EnumeratorCancellation] CancellationToken ct)
    {
        try
        {
            yield return new SseItem<string>(new JsonObject { ["org"] = ctx.OrganizationCode, ["at"] = DateTimeOffset.UtcNow }.ToJsonString(), PfaEvents.Connected);
            var next = queue.ReadAsync(ct).AsTask();
            while (!ct.IsCancellationRequested)
            {
                var heartbeat = Task.Delay(Heartbeat, ct);
                if (await Task.WhenAny(next, heartbeat) != next)
                {
                    if (ct.IsCancellationRequested) yield break;
                    yield return new SseItem<string>("{}", PfaEvents.Heartbeat);
                    continue;
                }
                ChannelMessage message;
                try { message = await next; }
                catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException) { yield break; }
                next = queue.ReadAsync(ct).AsTask();
                if (Route(message.Message.ToString(), ctx.UserId) is { } item) yield return item;
            }
        }
        finally
        {
            await queue.UnsubscribeAsync();
        }
    }

    /// <summary>
    /// The SSE item for one published message, or null when it is not for <paramref name="caller"/>: a message whose payload
    /// names a <c>user</c> belongs to that user alone (drafts, commits, conflict resolutions, write-back states).
    /// </summary>
    public static SseItem<string>? Route(string message, Guid caller)
    {
        JsonObject? json;
        try { json = JsonNode.Parse(message) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; }
        if (json?["type"]?.GetValue<string>() is not { Length: > 0 } type) return null;
        if (json["payload"] is JsonObject payload && payload["user"] is JsonValue owner
            && !(Guid.TryParse(owner.ToString(), out var id) && id == caller))
            return null;
        return new SseItem<string>(message, type);
    }
}
