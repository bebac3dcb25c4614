using Microsoft.Extensions.Configuration;
using Npgsql;
using Pfa.AppHost.Hosting;
using Pfa.Data.Backups;
using Pfa.Ops;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Backups;

/// <summary>The two front ends of the backup library: the dashboard command on pfadb and the <c>./pfa</c> commands (Pfa.Ops).</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class BackupCommandTests(InfrastructureFixture infra) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _directory = PfaApp.NewDataDirectory();

    public void Dispose() => PfaApp.DeleteDataDirectory(_directory);

    [Fact]
    public async Task The_dashboard_command_backs_pfadb_up_into_the_data_directory()
    {
        await infra.App.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.Database, Ct);

        var result = await infra.App.ResourceCommands.ExecuteCommandAsync(PfaResources.Database, BackupCommands.BackupName, Ct);

        Assert.True(result.Success, result.Message);
        var backups = DatabaseBackups.List(BackupFiles.BackupDirectory(infra.DataDirectory), PfaResources.Database);
        Assert.NotEmpty(backups);
        Assert.Contains(Path.GetFileNameWithoutExtension(backups[0].ManifestPath)[..^".manifest".Length], result.Message, StringComparison.Ordinal);
        var (_, manifest) = await DatabaseBackups.VerifyFileAsync(backups[0].ManifestPath, Ct);
        Assert.Equal(PfaResources.Database, manifest.Database);
    }

    [Fact]
    public async Task Pfa_backup_then_restore_into_a_new_database_and_a_corrupted_file_exits_1_with_the_reason()
    {
        var database = $"ops_{Guid.NewGuid():N}"[..16];
        await ExecuteAsync(infra.PostgresConnectionString, $"CREATE DATABASE {database}");
        var source = new NpgsqlConnectionStringBuilder(infra.PostgresConnectionString) { Database = database, Pooling = false }.ConnectionString;
        await ExecuteAsync(source, "CREATE TABLE stock (id int PRIMARY KEY, name text); INSERT INTO stock SELECT g, 'item ' || g FROM generate_series(1, 1000) g;");
        var settings = new OpsSettings(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{PfaResources.Database}"] = source,
            ["Backups:Directory"] = _directory,
        }).Build());

        var (code, output, errors) = await RunAsync(settings, "backup");
        Assert.True(code == 0, errors);
        Assert.Contains("1 tables, 1,000 rows", output, StringComparison.Ordinal);
        var dump = Directory.GetFiles(_directory, "*.dump").Single();

        var into = database + "_r";
        (code, output, errors) = await RunAsync(settings, "restore", dump, "--into", into);
        Assert.True(code == 0, errors);
        Assert.Contains($"into database '{into}'", output, StringComparison.Ordinal);
        Assert.Contains("match the manifest", output, StringComparison.Ordinal);

        await File.AppendAllTextAsync(dump, "tampered", Ct);
        (code, _, errors) = await RunAsync(settings, "restore", dump, "--into", database + "_x");
        Assert.Equal(1, code);
        Assert.Contains("is corrupted", errors, StringComparison.Ordinal);

        (code, output, _) = await RunAsync(settings, "backups");
        Assert.Equal(0, code);
        Assert.Contains("1 backup(s)", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Errors)> RunAsync(OpsSettings settings, params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await OpsCommands.RunAsync(args, settings, output, errors, Ct);
        return (code, output.ToString(), errors.ToString());
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
