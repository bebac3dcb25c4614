using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Pfa.Tests.Hosting;

/// <summary>Our stand-ins for Aspire's client integrations, against the real PostgreSQL and Redis.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ServiceDefaultsTests(InfrastructureFixture infrastructure)
{
    private sealed class ProbeContext(DbContextOptions<ProbeContext> options) : DbContext(options);

    /// <summary>Collects every finished span the service's tracer provider records.</summary>
    private sealed class SpanCollector : BaseProcessor<Activity>
    {
        public ConcurrentBag<Activity> Spans { get; } = [];
        public override void OnEnd(Activity data) => Spans.Add(data);
    }

    private WebApplication BuildService(string? pfadb, string? cache, SpanCollector? spans = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (spans is not null) builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(spans));
        builder.Configuration[$"ConnectionStrings:{PfaResources.Database}"] = pfadb;
        builder.Configuration[$"ConnectionStrings:{PfaResources.Redis}"] = cache;
        builder.AddServiceDefaults();
        builder.AddNpgsqlDbContext<ProbeContext>(PfaResources.Database);
        builder.AddRedisClient(PfaResources.Redis);
        return builder.Build();
    }

    [Fact]
    public async Task Health_checks_pass_when_database_and_cache_are_reachable()
    {
        await using var app = BuildService(infrastructure.PostgresConnectionString, infrastructure.RedisConnectionString);
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(["ProbeContext", "redis", "self"], report.Entries.Keys.Order());

        // The pooled context really talks to pfadb.
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProbeContext>();
        Assert.Equal("pfadb", await db.Database.SqlQueryRaw<string>("SELECT current_database() AS \"Value\"").SingleAsync(TestContext.Current.CancellationToken));
        Assert.True(app.Services.GetRequiredService<IConnectionMultiplexer>().IsConnected);
    }

    [Fact]
    public async Task Database_commands_are_traced_through_the_service_defaults()
    {
        var spans = new SpanCollector();
        await using var app = BuildService(infrastructure.PostgresConnectionString, infrastructure.RedisConnectionString, spans);
        app.Services.GetRequiredService<TracerProvider>(); // started with the host in a real service
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProbeContext>();
        await db.Database.ExecuteSqlRawAsync("SELECT 42", TestContext.Current.CancellationToken);

        Assert.Contains(spans.Spans, s => s.Source.Name == NpgsqlClientExtensions.NpgsqlTelemetryName && s.DisplayName.Contains("pfadb", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_checks_fail_when_the_cache_password_is_wrong()
    {
        var wrong = infrastructure.RedisConnectionString.Split(",password=")[0] + ",password=wrong,connectTimeout=1000";
        await using var app = BuildService(infrastructure.PostgresConnectionString, wrong);
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.NotEqual(HealthStatus.Healthy, report.Entries["redis"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["ProbeContext"].Status);
    }

    [Fact]
    public async Task A_missing_connection_string_names_the_setting()
    {
        await using var app = BuildService(null, infrastructure.RedisConnectionString);
        await using var scope = app.Services.CreateAsyncScope();
        var error = Assert.Throws<InvalidOperationException>(() => scope.ServiceProvider.GetRequiredService<ProbeContext>());
        Assert.Contains("ConnectionStrings:pfadb", error.Message, StringComparison.Ordinal);
    }
}
