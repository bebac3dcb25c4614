using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Pfa.Hosting.Orchestration;

namespace Pfa.Hosting.Dashboard;

/// <summary>The resource service's endpoints (contract: <see cref="ResourceServiceContract"/>).</summary>
internal static class ResourceServiceApi
{
    public static IEndpointRouteBuilder MapResourceServiceApi(this IEndpointRouteBuilder app, string apiKey)
    {
        var expected = Encoding.UTF8.GetBytes(apiKey);
        var api = app.MapGroup("/api/v1").AddEndpointFilter(async (context, next) =>
        {
            var provided = Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers[ResourceServiceContract.ApiKeyHeader].ToString());
            return CryptographicOperations.FixedTimeEquals(provided, expected)
                ? await next(context).ConfigureAwait(false)
                : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: $"Send the resource service's API key in the {ResourceServiceContract.ApiKeyHeader} header.");
        });
        api.MapGet("/resources", ListResources).WithSummary("Every resource: state, health, URLs, environment (secrets masked), references and commands.");
        api.MapGet("/resources/watch", WatchResources).WithSummary("Server-Sent Events: every resource first, then each resource whenever it changes.");
        api.MapGet("/resources/{name}/console", ResourceConsole).WithSummary("A resource's console output: the last lines, or a live tail with follow=true.");
        api.MapGet("/console", AllConsole).WithSummary("Every resource's console output interleaved: the last lines, or a live tail with follow=true.");
        api.MapPost("/resources/{name}/commands/{command}", ExecuteCommand).WithSummary("Stop, start or restart one resource (dependents are left running).");
        return app;
    }

    public static Ok<IReadOnlyList<ResourceDto>> ListResources(ResourceServiceModel model) => TypedResults.Ok(model.All());

    public static ServerSentEventsResult<string> WatchResources(ResourceServiceModel model, HttpContext http, IHostApplicationLifetime lifetime) =>
        TypedResults.ServerSentEvents(WatchAsync(model, http, Until(http, lifetime)));

    public static Results<Ok<List<ConsoleLineDto>>, ServerSentEventsResult<string>, ValidationProblem, ProblemHttpResult> ResourceConsole(
        string name, int? tail, bool? follow, ResourceServiceModel model, DashboardSettings settings, HttpContext http, IHostApplicationLifetime lifetime)
    {
        if (model.Find(name) is not { } resource)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such resource",
                detail: $"'{name}' is not a resource of this application ({string.Join(", ", model.Resources.Select(r => r.Name))}).");
        }
        return Console([model.LogOf(resource)], tail, follow, settings, http, lifetime);
    }

    public static Results<Ok<List<ConsoleLineDto>>, ServerSentEventsResult<string>, ValidationProblem, ProblemHttpResult> AllConsole(
        int? tail, bool? follow, ResourceServiceModel model, DashboardSettings settings, HttpContext http, IHostApplicationLifetime lifetime) =>
        Console(model.Resources.Select(model.LogOf).ToList(), tail, follow, settings, http, lifetime);

    public static async Task<Results<Ok<CommandResultDto>, ValidationProblem, ProblemHttpResult>> ExecuteCommand(string name, string command, ResourceServiceModel model)
    {
        if (model.Find(name) is not { } resource)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such resource", detail: $"'{name}' is not a resource of this application.");
        }
        command = command.ToLowerInvariant();
        if (command is not (ResourceCommands.Stop or ResourceCommands.Start or ResourceCommands.Restart))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["command"] = [$"'{command}' is not a command; use stop, start or restart."] });
        }
        try
        {
            var result = await model.ExecuteCommandAsync(resource, command).ConfigureAwait(false);
            return TypedResults.Ok(new CommandResultDto(result.Success, result.Message));
        }
        catch (ResourceCommandException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Cannot {command} '{resource.Name}'", detail: e.Message);
        }
    }

    private static Results<Ok<List<ConsoleLineDto>>, ServerSentEventsResult<string>, ValidationProblem, ProblemHttpResult> Console(
        IReadOnlyList<ResourceLog?> candidates, int? tail, bool? follow, DashboardSettings settings, HttpContext http, IHostApplicationLifetime lifetime)
    {
        if (tail is < 0) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tail"] = ["tail must be 0 or more lines."] });
        // Logs exist once the application starts; before that there is nothing to show.
        var logs = candidates.OfType<ResourceLog>().ToList();
        if (follow == true) return TypedResults.ServerSentEvents(FollowAsync(logs, tail, settings.ConsoleLines, http, Until(http, lifetime)));
        var lines = logs.SelectMany(l => l.Lines(tail)).OrderBy(l => l.Sequence).TakeLast(tail ?? int.MaxValue).Select(ToDto).ToList();
        return TypedResults.Ok(lines);
    }

    private static async IAsyncEnumerable<string> WatchAsync(ResourceServiceModel model, HttpContext http, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Changes are coalesced per resource: a slow reader gets each resource's latest state, never an unbounded queue.
        var changed = Channel.CreateUnbounded<string>();
        var pending = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>(StringComparer.OrdinalIgnoreCase);
        void OnChanged(ResourceSnapshot s)
        {
            if (pending.TryAdd(s.Name, 0)) changed.Writer.TryWrite(s.Name);
        }
        model.Notifications.SnapshotChanged += OnChanged;
        try
        {
            foreach (var resource in model.Resources) yield return Json(model.Project(resource));
            await StartResponseAsync(http, cancellationToken).ConfigureAwait(false);
            while (await WaitToReadAsync(changed.Reader, cancellationToken).ConfigureAwait(false))
            {
                while (changed.Reader.TryRead(out var name))
                {
                    pending.TryRemove(name, out _);
                    if (model.Find(name) is { } resource) yield return Json(model.Project(resource));
                }
            }
        }
        finally
        {
            model.Notifications.SnapshotChanged -= OnChanged;
        }
    }

    private static async IAsyncEnumerable<string> FollowAsync(IReadOnlyList<ResourceLog> logs, int? tail, int capacity, HttpContext http,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A reader that falls a whole ring behind is cut off (the stream ends) rather than silently skipping lines.
        var channel = Channel.CreateBounded<ConsoleLine>(new BoundedChannelOptions(capacity) { SingleReader = true });
        bool Deliver(ConsoleLine line) => channel.Writer.TryWrite(line) || !channel.Writer.TryComplete();
        var backlog = new List<ConsoleLine>();
        var follows = new List<IDisposable>();
        foreach (var log in logs)
        {
            follows.Add(log.Follow(Deliver, out var kept));
            backlog.AddRange(kept);
        }
        try
        {
            foreach (var line in backlog.OrderBy(l => l.Sequence).TakeLast(tail ?? int.MaxValue)) yield return Json(ToDto(line));
            await StartResponseAsync(http, cancellationToken).ConfigureAwait(false);
            while (await WaitToReadAsync(channel.Reader, cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var line)) yield return Json(ToDto(line));
            }
        }
        finally
        {
            foreach (var follow in follows) follow.Dispose();
        }
    }

    /// <summary>Sends the headers and whatever is written so far before waiting: a quiet stream must still be open for the client.</summary>
    private static async Task StartResponseAsync(HttpContext http, CancellationToken cancellationToken)
    {
        try
        {
            await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client left or the AppHost is stopping: the wait that follows ends the stream.
        }
    }

    /// <summary>False when the stream should end: the client left, the AppHost is stopping, or the writer gave up.</summary>
    private static async Task<bool> WaitToReadAsync<T>(ChannelReader<T> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static CancellationToken Until(HttpContext http, IHostApplicationLifetime lifetime)
    {
        var until = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        http.Response.RegisterForDispose(until);
        return until.Token;
    }

    private static ConsoleLineDto ToDto(ConsoleLine line) =>
        new(line.Resource, line.LineNumber, line.Timestamp, line.IsError ? "stderr" : "stdout", line.Text);

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, ResourceServiceContract.JsonOptions);
}
