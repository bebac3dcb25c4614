using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// The database is unreachable (connect refused or timed out, server shutting down): 503 ProblemDetails with
/// <c>Retry-After</c>, honest and fast, instead of a 500. Only transient database failures (<see cref="DatabaseOutage"/>);
/// client errors and real bugs go on to the other handlers and the default 500. The event stream, which cannot work
/// without Redis, answers the same way when Redis is unreachable (everything else reads without Redis).
/// </summary>
public sealed class OutageHandler(IProblemDetailsService problems, Npgsql.NpgsqlDataSource dataSource, ILogger<OutageHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var store = DatabaseOutage.IsOutage(exception) ? "database" : exception is StackExchange.Redis.RedisConnectionException ? "event bus" : null;
        if (store is null || http.Response.HasStarted) return false;
        // Idle pooled connections to a server that went away are dead: drop them, so the first requests after it returns
        // open fresh ones instead of failing once more on a stale socket.
        if (store == "database") dataSource.Clear();
        logger.LogWarning("The {Store} is unavailable for {Method} {Path}: {Message}", store, http.Request.Method, http.Request.Path, exception.GetBaseException().Message);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service temporarily unavailable",
                Detail = $"The {store} cannot be reached; retry in {RetryAfterSeconds} s.",
                Type = store == "database" ? "database-unavailable" : "events-unavailable",
            },
        });
    }
}
