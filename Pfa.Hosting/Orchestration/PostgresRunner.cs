using System.Globalization;
using Npgsql;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// PostgreSQL from the installed server binaries: initdb on first run into a persistent data directory, SCRAM over
/// TCP on loopback only, local-socket trust confined to the cluster owner (socket dir 0700), fast shutdown on stop.
/// Started as root it drops to the <c>postgres</c> user with setpriv (postgres refuses root; runuser would swallow SIGINT).
/// </summary>
internal sealed class PostgresRunner(PostgresServerResource server, RunContext context) : ResourceRunner(server, context)
{
    private const string OsUserWhenRoot = "postgres";

    public PostgresServerResource Server { get; } = server;
    public string RootDirectory => Server.Annotations.OfType<DataDirectoryAnnotation>().LastOrDefault()?.Path is { } path
        ? Path.GetFullPath(path)
        : Path.Combine(Context.DataDirectory, Server.Name);
    public string ClusterDirectory => Path.Combine(RootDirectory, "data");
    public string SocketDirectory => Path.Combine(RootDirectory, "run");
    private string? OsUser => Context.IsRoot ? OsUserWhenRoot : null;

    public override IReadOnlyList<string> Urls => [$"tcp://localhost:{Server.PrimaryEndpoint.RequirePort()}"];

    public override string LikelyFix =>
        $"See {Log.FilePath}. If the cluster in {ClusterDirectory} is damaged or from another PostgreSQL version, stop the AppHost and move that directory away; " +
        "a new cluster is created on the next start.";

    /// <summary>Connection over the Unix socket as the superuser, without password (only the cluster owner and root can reach the socket).</summary>
    public string LocalConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDirectory, Port = Server.PrimaryEndpoint.RequirePort(), Username = Server.UserName, Database = database,
        Pooling = false, Timeout = 5,
    }.ConnectionString;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var bin = FindServerBinaries();
        PrepareDirectories();
        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
        {
            await InitializeClusterAsync(bin, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            CheckClusterVersion(bin);
            Log.Notice($"Reusing the cluster in {ClusterDirectory}.");
        }

        EnsurePortFree(Server.PrimaryEndpoint);
        var port = Server.PrimaryEndpoint.RequirePort().ToString(CultureInfo.InvariantCulture);
        List<string> args =
        [
            "-D", ClusterDirectory, "-p", port, "-k", SocketDirectory,
            "-c", "listen_addresses=127.0.0.1,::1",
            "-c", "unix_socket_permissions=0700",
            "-c", "shared_preload_libraries=pg_stat_statements",
            "-c", "logging_collector=off",
        ];
        if (Context.FastUnsafeStorage) args.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);

        Launch(new ProcessLaunch(Path.Combine(bin, "postgres"), args, RootDirectory)
        {
            Environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin", ["LC_ALL"] = "C.UTF-8" },
            RunAsUser = OsUser,
            ParentDeathSignal = Native.SIGINT,
            // Fast shutdown; immediate shutdown if that hangs; SIGKILL only as the very last resort.
            StopSequence = [(Native.SIGINT, TimeSpan.FromSeconds(30)), (Native.SIGQUIT, TimeSpan.FromSeconds(10)), (Native.SIGKILL, TimeSpan.FromSeconds(5))],
        });

        await WaitForSocketAsync(cancellationToken).ConfigureAwait(false);
        await ApplyPasswordAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task<string?> CheckHealthAsync(CancellationToken cancellationToken)
    {
        // The same path services use: TCP, SCRAM, the generated password (Aspire's "<name>_check" on database postgres).
        var builder = new NpgsqlConnectionStringBuilder(Server.GetConnectionString()) { Database = "postgres", Pooling = false, Timeout = 5 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private string FindServerBinaries()
    {
        if (Context.Configuration["AppHost:PostgresBinDirectory"] is { Length: > 0 } configured) return configured;
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new DistributedApplicationException(
            "PostgreSQL server binaries were not found under /usr/lib/postgresql/<version>/bin. " +
            "Install them (as root: apt-get install -y postgresql) or set AppHost:PostgresBinDirectory.");
    }

    private void PrepareDirectories()
    {
        Directory.CreateDirectory(RootDirectory);
        Directory.CreateDirectory(SocketDirectory);
        if (OsUser is null) return;

        ChangeOwner(RootDirectory, OsUser);
        // Postgres must reach its directory through every parent; a 0700 home folder on the way blocks it.
        for (var dir = Path.GetDirectoryName(RootDirectory); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if ((mode & UnixFileMode.OtherExecute) == 0)
            {
                throw new DistributedApplicationException(
                    $"The PostgreSQL data directory {RootDirectory} is below {dir}, which the '{OsUser}' user cannot enter (mode {Convert.ToString((int)mode, 8)}). " +
                    "Choose a data directory outside it with AppHost:DataDirectory (for example /var/lib/pfa).");
            }
        }
    }

    private static void ChangeOwner(string path, string user)
    {
        using var chown = System.Diagnostics.Process.Start("chown", ["-R", $"{user}:{user}", path]);
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new DistributedApplicationException($"Could not give {path} to the '{user}' user (chown exit code {chown.ExitCode}). Does the user exist?");
    }

    private async Task InitializeClusterAsync(string bin, CancellationToken cancellationToken)
    {
        Log.Notice($"Creating a new cluster in {ClusterDirectory}.");
        var passwordFile = Path.Combine(RootDirectory, ".initdb-password");
        await File.WriteAllTextAsync(passwordFile, Server.PasswordParameter.Value, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (OsUser is not null) ChangeOwner(passwordFile, OsUser);
        try
        {
            List<string> args =
            [
                "-D", ClusterDirectory, "-U", Server.UserName, $"--pwfile={passwordFile}",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
            ];
            if (Context.FastUnsafeStorage) args.Add("--no-sync");
            await RunToolAsync(new ProcessLaunch(Path.Combine(bin, "initdb"), args, RootDirectory)
            {
                Environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin", ["LC_ALL"] = "C.UTF-8" },
                RunAsUser = OsUser,
            }, "initdb", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private void CheckClusterVersion(string bin)
    {
        var clusterVersion = File.ReadAllText(Path.Combine(ClusterDirectory, "PG_VERSION")).Trim();
        var binVersion = Path.GetFileName(Path.GetDirectoryName(bin));
        if (int.TryParse(binVersion, out _) && clusterVersion != binVersion)
        {
            throw new DistributedApplicationException(
                $"The cluster in {ClusterDirectory} was created by PostgreSQL {clusterVersion}, but the server binaries are version {binVersion}. " +
                "Upgrade it with pg_upgrade, or move the directory away to start with a new cluster.");
        }
    }

    private async Task WaitForSocketAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (Process!.HasExited) throw new DistributedApplicationException($"postgres exited with code {await Process.Exited.ConfigureAwait(false)} while starting.");
            try
            {
                await using var connection = new NpgsqlConnection(LocalConnectionString());
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Re-applies the password parameter on every start, so the cluster always accepts the current value
    /// (e.g. after it was changed in user secrets). Parameterised: the value never appears in SQL text or logs.
    /// </summary>
    private async Task ApplyPasswordAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(LocalConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT set_config('pfa.new_password', $1, false)") { Parameters = { new NpgsqlParameter { Value = Server.PasswordParameter.Value } } },
                new NpgsqlBatchCommand(
                    "DO $$BEGIN EXECUTE format('ALTER ROLE %I PASSWORD %L', current_user, current_setting('pfa.new_password')); END$$"),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
