namespace Pfa.PemsSimulator;

/// <summary>Test and demo controls: simulate edits and deletions made in PEMS, and inject faults.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin");
        admin.MapGet("/stats", GetStats);
        admin.MapPost("/mutate", MutateRandom);
        admin.MapPost("/delete", DeleteRandom);
        admin.MapGet("/faults", (FaultInjector faults) => Results.Json(faults.Options));
        admin.MapPut("/faults", ReplaceFaults);
        admin.MapPost("/faults/queue", QueueFaults);
        admin.MapDelete("/faults/queue", ClearFaultQueue);
        return app;
    }

    private static IResult GetStats(PemsStore store, FaultInjector faults) =>
        Results.Json(new { organizations = store.Counts(), faults = faults.Options, queuedFaults = faults.Queued, faultsServed = faults.Served, journal = store.JournalPath });

    private static IResult MutateRandom(PemsStore store, string? organization, int count, int? seed) =>
        Results.Json(store.MutateRandom(organization, count, seed ?? Environment.TickCount)
            .Select(p => new { organization = p.Organization, pfaId = p.PfaId }));

    private static IResult DeleteRandom(PemsStore store, string? organization, int count, int? seed) =>
        Results.Json(store.DeleteRandom(organization, count, seed ?? Environment.TickCount)
            .Select(p => new { organization = p.Organization, pfaId = p.PfaId }));

    private static IResult ReplaceFaults(FaultInjector faults, FaultOptions options)
    {
        faults.Replace(options);
        return Results.Json(faults.Options);
    }

    private static IResult QueueFaults(FaultInjector faults, string[] queue)
    {
        faults.Enqueue(queue);
        return Results.Json(new { queued = faults.Queued });
    }

    private static IResult ClearFaultQueue(FaultInjector faults)
    {
        faults.ClearQueue();
        return Results.NoContent();
    }
}
