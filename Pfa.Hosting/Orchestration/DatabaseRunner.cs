using Npgsql;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>A database inside a server: created once the server is ready (as Aspire does, 42P04 = exists is fine).</summary>
internal sealed class DatabaseRunner(PostgresDatabaseResource database, RunContext context) : ResourceRunner(database, context)
{
    private PostgresRunner ServerRunner => (PostgresRunner)Context.RunnerOf(database.Server);

    public override bool SupportsCommands => false;

    public override IReadOnlyList<string> Urls => [$"tcp://localhost:{database.Server.PrimaryEndpoint.RequirePort()}/{database.DatabaseName}"];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ServerRunner.LocalConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // CREATE DATABASE takes no parameters; the name is quoted as an identifier.
        var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using var command = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Log.Notice($"Created database {database.DatabaseName}.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            Log.Notice($"Database {database.DatabaseName} already exists.");
        }
    }

    public override async Task<string?> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(database.GetConnectionString()) { Pooling = false, Timeout = 5 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return e.Message;
        }
    }

    public override string LikelyFix => $"See the server's log: {ServerRunner.Log.FilePath}.";
}
