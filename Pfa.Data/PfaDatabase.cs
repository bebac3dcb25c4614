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
    /// <paramref name="resetOnClose"/> false: a connection going back to the pool is not reset with <c>DISCARD ALL</c> (one
    /// statement less per connection use, two per API request). Only for a process that keeps no session state on its
    /// connections: the API's tenant state is transaction-scoped (<see cref="TenantSession"/>), an open transaction is rolled
    /// back on close anyway, and it takes no advisory lock but the migration's, released in a finally. The worker keeps the
    /// reset (its per-organization advisory locks are session-level; the reset is their safety net).
    /// </summary>
    public static IHostApplicationBuilder AddPfaDatabase(this IHostApplicationBuilder builder, string connectionName, bool resetOnClose = true)
    {
        // A database that is down costs a request at most the connect timeout (3 s, not Npgsql's 15 s) and no retries:
        // the retry strategy skips failed connection attempts (DatabaseOutage; docs/architecture.md, "Outages").
        builder.AddNpgsqlDataSource(connectionName, configureDataSourceBuilder: b =>
        {
            b.ConnectionStringBuilder.Timeout = Math.Min(b.ConnectionStringBuilder.Timeout, DatabaseOutage.ConnectTimeoutSeconds);
            if (!resetOnClose) b.ConnectionStringBuilder.NoResetOnClose = true;
            // The same few dozen statement shapes run on every request (session check, tenant setup, list pages, KPIs,
            // draft saves): prepared per connection after their second use, PostgreSQL parses and plans each once per
            // connection instead of on every request. Plans stay correct across tenants: RLS reads the tenant from
            // set_config at execution, and PostgreSQL replans a statement whose role or schema changed.
            b.ConnectionStringBuilder.MaxAutoPrepare = 64;
            b.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        });
        builder.Services.AddDbContextPool<PfaDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.ExecutionStrategy(d => new PfaRetryingExecutionStrategy(d))));
        // Its DbContext check would probe the same pool again under a second name; "PostgreSql" already reports it.
        builder.EnrichNpgsqlDbContext<PfaDbContext>(settings => settings.DisableHealthChecks = true);
        return builder;
    }
}
