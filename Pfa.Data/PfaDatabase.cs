using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Pfa.Data;

/// <summary>How the API and the worker reach <c>pfadb</c>: Aspire's PostgreSQL client integrations, one pool per process.</summary>
public static class PfaDatabase
{
    /// <summary>
    /// ONE <see cref="NpgsqlDataSource"/> (Aspire.Npgsql: health check "PostgreSql", tracing, metrics), injected by the
    /// raw-SQL paths, and the pooled <see cref="PfaDbContext"/> on that same data source, so the process keeps a single
    /// physical pool. The EF enrichment keeps our retrying execution strategy; that is safe because every explicit
    /// transaction runs on a raw Npgsql connection, outside EF's strategy.
    /// <paramref name="connectionName"/> is the app model's database (<c>ConnectionStrings:pfadb</c>, set by the AppHost).
    /// </summary>
    public static IHostApplicationBuilder AddPfaDatabase(this IHostApplicationBuilder builder, string connectionName)
    {
        // A database that is down costs a request at most the connect timeout (3 s, not Npgsql's 15 s) and no retries:
        // the retry strategy skips failed connection attempts (DatabaseOutage; docs/architecture.md, "Outages").
        builder.AddNpgsqlDataSource(connectionName, configureDataSourceBuilder: b =>
            b.ConnectionStringBuilder.Timeout = Math.Min(b.ConnectionStringBuilder.Timeout, DatabaseOutage.ConnectTimeoutSeconds));
        builder.Services.AddDbContextPool<PfaDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.ExecutionStrategy(d => new PfaRetryingExecutionStrategy(d))));
        // Its DbContext check would probe the same pool again under a second name; "PostgreSql" already reports it.
        builder.EnrichNpgsqlDbContext<PfaDbContext>(settings => settings.DisableHealthChecks = true);
        return builder;
    }
}
