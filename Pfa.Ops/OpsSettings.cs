using Microsoft.Extensions.Configuration;
using Npgsql;
using Pfa.Data.Backups;
using Pfa.ServiceDefaults;

namespace Pfa.Ops;

/// <summary>
/// Where the commands find the database and the backups folder. Sources, later wins: the AppHost's appsettings.json,
/// the AppHost's user secrets (the generated pg-password of the local stack), environment variables, then
/// <c>--Key=value</c> arguments. Never a password on the command line: use <c>ConnectionStrings__pfadb</c> in the environment.
/// </summary>
public sealed class OpsSettings(IConfiguration configuration)
{
    public IConfiguration Configuration { get; } = configuration;

    public static OpsSettings Load(string[] args)
    {
        var appHostSettings = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Pfa.AppHost", "appsettings.json");
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(appHostSettings), optional: true)
            .AddUserSecrets(typeof(OpsSettings).Assembly, optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)).ToArray())
            .Build();
        return new OpsSettings(configuration);
    }

    /// <summary>
    /// <c>ConnectionStrings:pfadb</c> when set (a deployment, or any server); otherwise the local stack of <c>./pfa run</c>:
    /// localhost on <c>AppHost:Ports:pg</c> (54320), user postgres, the AppHost's generated <c>pg-password</c>.
    /// </summary>
    public string ConnectionString()
    {
        if (Configuration.GetConnectionString(PfaResources.Database) is { Length: > 0 } configured) return configured;
        var password = Configuration[$"Parameters:{PfaResources.PostgresPassword}"];
        if (string.IsNullOrEmpty(password))
        {
            throw new BackupException(
                $"No database to use: set ConnectionStrings__{PfaResources.Database} in the environment, or start the local stack once with ./pfa run " +
                $"(it keeps the generated {PfaResources.PostgresPassword} in the AppHost's user secrets).");
        }
        return new NpgsqlConnectionStringBuilder
        {
            Host = "localhost",
            Port = Configuration.GetValue($"AppHost:Ports:{PfaResources.Postgres}", 54320),
            Username = Configuration[$"Parameters:{PfaResources.Postgres}-username"] ?? "postgres",
            Password = password,
            Database = PfaResources.Database,
        }.ConnectionString;
    }

    public BackupOptions BackupOptions() => Configuration.GetSection(Pfa.Data.Backups.BackupOptions.Section).Get<BackupOptions>() ?? new BackupOptions();

    /// <summary><c>Backups:Directory</c>, else <c>&lt;AppHost:DataDirectory&gt;/backups</c> (the same folder the dashboard command writes to).</summary>
    public string BackupDirectory() =>
        Path.GetFullPath(BackupOptions().Directory is { Length: > 0 } configured ? configured
            : BackupFiles.BackupDirectory(Configuration["AppHost:DataDirectory"] is { Length: > 0 } data ? data : BackupFiles.DefaultDataDirectory()));
}
