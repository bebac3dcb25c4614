using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Data;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Data;

[Collection(InfrastructureCollection.Name)]
public sealed class MigrationRaceTests(InfrastructureFixture infra)
{
    /// <summary>
    /// The API and the worker both migrate an empty database when the stack first starts in Development; before the
    /// advisory lock one of them crashed on "relation … already exists".
    /// </summary>
    [Fact]
    public async Task Processes_migrating_one_empty_database_at_once_all_succeed()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "race_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(infra.PostgresConnectionString))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(infra.PostgresConnectionString) { Database = database, Pooling = false }.ConnectionString;
        PfaDbContext NewContext() => new(new DbContextOptionsBuilder<PfaDbContext>().UseNpgsql(connectionString).Options);

        var contexts = Enumerable.Range(0, 4).Select(_ => NewContext()).ToList();
        await Task.WhenAll(contexts.Select(c => Task.Run(() => c.MigrateSeriallyAsync(ct), ct)));

        var migrations = typeof(PfaDbContext).Assembly.GetTypes().Count(t => t.IsDefined(typeof(Microsoft.EntityFrameworkCore.Migrations.MigrationAttribute), false));
        await using var check = NewContext();
        Assert.Equal(migrations, (await check.Database.GetAppliedMigrationsAsync(ct)).Count());
        foreach (var c in contexts) await c.DisposeAsync();
    }
}
