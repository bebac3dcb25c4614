using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace Pfa.Data;

/// <summary>
/// Tells "the database cannot be reached right now" apart from everything else, for the API's 503 and for the retry
/// strategy. Only transient Npgsql failures count (connect refused or timed out, server shutting down, too many
/// connections); a PostgreSQL error about the statement or its data (<c>22P05</c>, constraint violations) is not an outage.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>Connect timeout (seconds) of the pool: a host that does not answer costs this, not Npgsql's 15 s.</summary>
    public const int ConnectTimeoutSeconds = 3;

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions says the database is unreachable.</summary>
    public static bool IsOutage(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                    return true;
                case PostgresException:
                    return false; // the server answered: about the statement, not reachability
            }
        }
        return false;
    }

    /// <summary>
    /// A connection that could not be opened at all (refused, unreachable, connect timeout): retrying it at once in the same
    /// request only multiplies the wait, so the retry strategy gives up and the caller answers 503.
    /// </summary>
    public static bool IsConnectFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is SocketException || (e is NpgsqlException && e.InnerException is TimeoutException or SocketException))
                return true;
        return false;
    }
}

/// <summary>Npgsql's retrying strategy (transient errors inside a query are retried), minus connection attempts that failed.</summary>
public sealed class PfaRetryingExecutionStrategy(ExecutionStrategyDependencies dependencies)
    : NpgsqlRetryingExecutionStrategy(dependencies, DefaultMaxRetryCount, DefaultMaxDelay, errorCodesToAdd: null)
{
    protected override bool ShouldRetryOn(Exception? exception) =>
        !DatabaseOutage.IsConnectFailure(exception) && base.ShouldRetryOn(exception);
}
