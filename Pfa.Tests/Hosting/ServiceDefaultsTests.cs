using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using StackExchange.Redis;

namespace Pfa.Tests.Hosting;

/// <summary>Our stand-ins for Aspire's client integrations, against the real PostgreSQL and Redis.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ServiceDefaultsTests(InfrastructureFixture infrastructure)
{
    private sealed class ProbeContext(DbContextOptions<ProbeContext> options) : DbContext(options);

    private WebApplication BuildService(string? pfadb, string? cache)
    {
        var builder = WebApplication.CreateSlimBuilder();
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
