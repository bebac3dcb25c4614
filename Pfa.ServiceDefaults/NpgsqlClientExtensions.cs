using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Stand-in for Aspire.Npgsql.EntityFrameworkCore.PostgreSQL (not on this feed): a pooled DbContext from
/// <c>ConnectionStrings:{name}</c> with retries, a health check, and Npgsql tracing and metrics.
/// </summary>
public static class NpgsqlClientExtensions
{
    public const string NpgsqlTelemetryName = "Npgsql";

    public static void AddNpgsqlDbContext<TContext>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<NpgsqlDataSourceBuilder>? configureDataSource = null,
        Action<DbContextOptionsBuilder>? configureDbContextOptions = null)
        where TContext : DbContext
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);

        // One data source per process: it owns the physical pool and Npgsql's tracing/metrics hooks.
        builder.Services.AddSingleton(_ =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    $"ConnectionString is missing. It should be provided in 'ConnectionStrings:{connectionName}' " +
                    $"(environment variable ConnectionStrings__{connectionName}); the AppHost sets it for every service that references '{connectionName}'.");
            }
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
            configureDataSource?.Invoke(dataSourceBuilder);
            return dataSourceBuilder.Build();
        });

        builder.Services.AddDbContextPool<TContext>((sp, options) =>
        {
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.EnableRetryOnFailure());
            configureDbContextOptions?.Invoke(options);
        });

        builder.Services.AddHealthChecks().AddDbContextCheck<TContext>(typeof(TContext).Name);

        // Npgsql emits its own ActivitySource and Meter, both named "Npgsql" (what Npgsql.OpenTelemetry's AddNpgsql() subscribes to).
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(NpgsqlTelemetryName))
            .WithMetrics(metrics => metrics.AddMeter(NpgsqlTelemetryName));
    }
}
