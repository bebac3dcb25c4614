using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.Internal;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Pfa.Data;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using StackExchange.Redis;

namespace Pfa.Tests.Hosting;

/// <summary>
/// What stays ours around Aspire's client integrations: a service wired as the API is (AddServiceDefaults, then
/// <see cref="PfaDatabase.AddPfaDatabase"/> and Aspire.StackExchange.Redis) reports both stores in <c>/health</c>,
/// fails clearly without a connection string, keeps probes out of telemetry and traces its database commands.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ServiceDefaultsTests(InfrastructureFixture infrastructure)
{
    private const string PostgresCheck = "PostgreSql";
    private const string RedisCheck = HealthCheckPolicy.CacheCheck;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Collects every finished span the service's tracer provider records.</summary>
    private sealed class SpanCollector : BaseProcessor<Activity>
    {
        public ConcurrentBag<Activity> Spans { get; } = [];
        public override void OnEnd(Activity data) => Spans.Add(data);
    }

    /// <summary>
    /// Activity sources are process-wide: a provider listening to "Npgsql" or "Microsoft.AspNetCore" also records the
    /// commands and requests of tests running beside this one. A span is this service's when it belongs to a trace the
    /// test started, when Npgsql names the test's own data source (its connection string carries a unique application
    /// name), or when it comes from the Redis instrumentation (which profiles this service's own connection only).
    /// </summary>
    private sealed record ServiceSpans(string ApplicationName, HashSet<ActivityTraceId> Traces)
    {
        public bool Owns(Activity span) =>
            Traces.Contains(span.TraceId)
            || (span.GetTagItem("db.npgsql.data_source") as string)?.Contains(ApplicationName, StringComparison.Ordinal) == true
            || span.Source.Name.Contains("Redis", StringComparison.OrdinalIgnoreCase);
    }

    private static WebApplication BuildService(string? pfadb, string? cache, SpanCollector? spans = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        if (spans is not null) builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans));
        builder.Configuration[$"ConnectionStrings:{PfaResources.Database}"] = pfadb;
        builder.Configuration[$"ConnectionStrings:{PfaResources.Redis}"] = cache;
        builder.AddServiceDefaults();
        builder.AddPfaDatabase(PfaResources.Database);
        builder.AddRedisClient(PfaResources.Redis);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }

    private static async Task<(HttpStatusCode Status, Dictionary<string, string> Checks)> HealthAsync(WebApplication app)
    {
        using var response = await app.GetTestClient().GetAsync(ServiceDefaultsExtensions.HealthEndpointPath, Ct);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var checks = body.RootElement.GetProperty("checks").EnumerateObject()
            .ToDictionary(c => c.Name, c => c.Value.GetProperty("status").GetString()!);
        return (response.StatusCode, checks);
    }

    [Fact]
    public async Task Health_reports_postgres_and_redis_once_each_and_healthy_with_the_real_stores()
    {
        await using var app = BuildService(infrastructure.PostgresConnectionString, infrastructure.RedisConnectionString);
        await app.StartAsync(Ct);

        var (status, checks) = await HealthAsync(app);
        Assert.Equal(HttpStatusCode.OK, status);
        // One check per store: the EF enrichment's DbContext check is off, it would probe the same pool again.
        Assert.Equal([PostgresCheck, RedisCheck, "self"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.All(checks.Values, s => Assert.Equal("Healthy", s));
        Assert.True(app.Services.GetRequiredService<IConnectionMultiplexer>().IsConnected);
    }

    [Fact]
    public async Task The_pooled_context_runs_on_the_one_data_source_with_retries()
    {
        await using var app = BuildService(infrastructure.PostgresConnectionString, infrastructure.RedisConnectionString);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PfaDbContext>();

        Assert.Equal("pfadb", await db.Database.SqlQueryRaw<string>("SELECT current_database() AS \"Value\"").SingleAsync(Ct));
#pragma warning disable EF1001 // the options extension is internal API; it is the only place the data source is visible
        Assert.Same(app.Services.GetRequiredService<NpgsqlDataSource>(), db.GetService<IDbContextOptions>().FindExtension<NpgsqlOptionsExtension>()!.DataSource);
#pragma warning restore EF1001
        // Npgsql's retrying strategy, as before the move to Aspire (our explicit transactions run on raw connections, outside
        // EF), minus failed connection attempts (an outage answers 503 at once instead of after six connect timeouts).
        Assert.IsType<PfaRetryingExecutionStrategy>(db.Database.CreateExecutionStrategy());
    }

    /// <summary>PostgreSQL unreachable: unhealthy, 503. Redis unreachable: degraded but 200 (the services still answer).</summary>
    [Theory]
    [InlineData(PfaResources.Database, HttpStatusCode.ServiceUnavailable, "Unhealthy")]
    [InlineData(PfaResources.Redis, HttpStatusCode.OK, "Degraded")]
    public async Task Health_reports_a_store_with_a_bad_connection_string(string broken, HttpStatusCode expected, string brokenStatus)
    {
        var pfadb = new NpgsqlConnectionStringBuilder(infrastructure.PostgresConnectionString);
        if (broken == PfaResources.Database) pfadb.Password = "wrong-password";
        var cache = ConfigurationOptions.Parse(infrastructure.RedisConnectionString);
        if (broken == PfaResources.Redis) cache.Password = "wrong-password";

        await using var app = BuildService(pfadb.ConnectionString, cache.ToString(includePassword: true));
        await app.StartAsync(Ct);
        var (status, checks) = await HealthAsync(app);

        Assert.Equal(expected, status);
        var (bad, good) = broken == PfaResources.Database ? (PostgresCheck, RedisCheck) : (RedisCheck, PostgresCheck);
        Assert.Equal(brokenStatus, checks[bad]);
        Assert.Equal("Healthy", checks[good]);
    }

    [Fact]
    public async Task A_missing_database_connection_string_names_the_setting()
    {
        await using var app = BuildService(null, infrastructure.RedisConnectionString);
        await using var scope = app.Services.CreateAsyncScope();
        var error = Assert.Throws<InvalidOperationException>(() => scope.ServiceProvider.GetRequiredService<PfaDbContext>());
        Assert.Contains("ConnectionStrings:pfadb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_cache_connection_string_names_the_setting()
    {
        await using var app = BuildService(infrastructure.PostgresConnectionString, null);
        var error = Assert.Throws<InvalidOperationException>(() => app.Services.GetRequiredService<IConnectionMultiplexer>());
        Assert.Contains("ConnectionStrings:cache", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probes_leave_no_trace_spans()
    {
        var spans = new SpanCollector();
        var pfadb = new NpgsqlConnectionStringBuilder(infrastructure.PostgresConnectionString) { ApplicationName = $"probe-test-{Guid.NewGuid():N}" };
        var ours = new ServiceSpans(pfadb.ApplicationName, []);
        await using var app = BuildService(pfadb.ConnectionString, infrastructure.RedisConnectionString, spans);
        await app.StartAsync(Ct);
        var client = app.GetTestClient();
        for (var i = 0; i < 3; i++)
        {
            foreach (var path in new[] { ServiceDefaultsExtensions.HealthEndpointPath, ServiceDefaultsExtensions.AlivenessEndpointPath })
            {
                // Each probe starts a trace of the test's own, so whatever it causes can be told from other tests' spans.
                var trace = ActivityTraceId.CreateRandom();
                ours.Traces.Add(trace);
                using var probe = new HttpRequestMessage(HttpMethod.Get, path);
                probe.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
                (await client.SendAsync(probe, Ct)).EnsureSuccessStatusCode();
            }
        }
        // Redis spans are built from the profiler in the background; flushing the provider forces them out.
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        Assert.Empty(spans.Spans.Where(ours.Owns).Select(s => $"{s.Source.Name}: {s.DisplayName}"));
    }

    [Fact]
    public async Task Database_commands_are_traced()
    {
        var spans = new SpanCollector();
        await using var app = BuildService(infrastructure.PostgresConnectionString, infrastructure.RedisConnectionString, spans);
        await app.StartAsync(Ct);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PfaDbContext>().Database.ExecuteSqlRawAsync("SELECT 42", Ct);
        }
        await using (var raw = app.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT 43"))
        {
            await raw.ExecuteScalarAsync(Ct);
        }

        var npgsql = spans.Spans.Where(s => s.Source.Name == "Npgsql").ToList();
        Assert.Contains(npgsql, s => (s.GetTagItem("db.query.text") ?? s.GetTagItem("db.statement")) as string == "SELECT 42");
        Assert.Contains(npgsql, s => (s.GetTagItem("db.query.text") ?? s.GetTagItem("db.statement")) as string == "SELECT 43");
    }
}
