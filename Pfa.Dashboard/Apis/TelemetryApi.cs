using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Dashboard.Auth;
using Pfa.Dashboard.Telemetry;

namespace Pfa.Dashboard.Apis;

/// <summary>
/// The stored telemetry as JSON, behind the same browser login as the pages: for tests and scripts that need to find a trace
/// or a log line without scraping HTML.
/// </summary>
public static class TelemetryApi
{
    private const int MaxTake = 1_000;

    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/telemetry").RequireAuthorization(FrontendAuth.Policy).WithTags("Telemetry");
        api.MapGet("/resources", GetResources).WithSummary("Resources that sent telemetry");
        api.MapGet("/logs", GetLogs).WithSummary("Structured logs, newest first");
        api.MapGet("/traces", GetTraces).WithSummary("Traces, newest first");
        api.MapGet("/traces/{traceId}", GetTrace).WithSummary("The spans of one trace");
        api.MapGet("/metrics/{resource}", GetInstruments).WithSummary("The instruments of a resource");
        api.MapGet("/metrics/{resource}/{instrument}", GetMetricPoints).WithSummary("An instrument's data points of the last minutes");
        return app;
    }

    private static Ok<IReadOnlyList<string>> GetResources(TelemetryStore store) => TypedResults.Ok(store.Resources());

    private static Results<Ok<Page<LogEntry>>, ValidationProblem> GetLogs(TelemetryStore store, string? resource = null, string? level = null,
        string? text = null, string? traceId = null, int skip = 0, int take = 100)
    {
        var errors = PagingErrors(skip, take);
        var minSeverity = 0;
        if (level is not null && !LogLevels.TryMinSeverity(level, out minSeverity))
            errors["level"] = [$"'{level}' is not one of {string.Join(", ", LogLevels.Names)}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(store.QueryLogs(new LogQuery(resource, minSeverity, text, traceId), skip, take));
    }

    private static Results<Ok<Page<TraceSummary>>, ValidationProblem> GetTraces(TelemetryStore store, string? resource = null, string? text = null,
        bool errorsOnly = false, int skip = 0, int take = 100)
    {
        var errors = PagingErrors(skip, take);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(store.QueryTraces(new TraceQuery(resource, text, errorsOnly), skip, take));
    }

    private static Results<Ok<IReadOnlyList<SpanEntry>>, NotFound> GetTrace(TelemetryStore store, string traceId) =>
        store.GetTrace(traceId.ToLowerInvariant()) is { } spans ? TypedResults.Ok(spans) : TypedResults.NotFound();

    private static Ok<IReadOnlyList<InstrumentInfo>> GetInstruments(TelemetryStore store, string resource) => TypedResults.Ok(store.Instruments(resource));

    private static Results<Ok<IReadOnlyList<MetricPoint>>, ValidationProblem> GetMetricPoints(TelemetryStore store, TimeProvider time,
        string resource, string instrument, int minutes = 5)
    {
        if (minutes is < 1 or > 24 * 60)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["minutes"] = ["Between 1 and 1440."] });
        return TypedResults.Ok(store.MetricPoints(resource, instrument, time.GetUtcNow().UtcDateTime.AddMinutes(-minutes)));
    }

    private static Dictionary<string, string[]> PagingErrors(int skip, int take)
    {
        var errors = new Dictionary<string, string[]>();
        if (skip < 0) errors["skip"] = ["Must not be negative."];
        if (take is < 1 or > MaxTake) errors["take"] = [$"Between 1 and {MaxTake}."];
        return errors;
    }
}
