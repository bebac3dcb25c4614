using Pfa.Api;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

[Collection(InfrastructureCollection.Name)]
public sealed class MigrateCommandTests(InfrastructureFixture infra)
{
    /// <summary>The deployment step: <c>Pfa.Api --migrate</c> applies migrations (idempotently) and exits without serving.</summary>
    [Fact]
    public async Task Migrate_command_applies_all_migrations_and_exits()
    {
        var host = ApiHost.For(infra); // the database may already be migrated: the command must be idempotent
        var key = $"ConnectionStrings__{PfaResources.Database}";
        var previous = Environment.GetEnvironmentVariable(key);
        Environment.SetEnvironmentVariable(key, infra.PostgresConnectionString);
        try
        {
            var entry = typeof(ApiMarker).Assembly.EntryPoint!;
            var result = entry.Invoke(null, [new[] { "--migrate" }]);
            if (result is Task t) await t;
        }
        finally
        {
            Environment.SetEnvironmentVariable(key, previous);
        }
        await using var cmd = host.Db.CreateCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"");
        // Every migration the assembly holds, however many there are by now.
        var migrations = typeof(Pfa.Data.PfaDbContext).Assembly.GetTypes()
            .Count(t => t.IsDefined(typeof(Microsoft.EntityFrameworkCore.Migrations.MigrationAttribute), false));
        Assert.Equal((long)migrations, await cmd.ExecuteScalarAsync(Http.Ct));
    }
}
