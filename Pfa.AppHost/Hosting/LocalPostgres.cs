using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// PostgreSQL from the installed server binaries, standing in for the stock container under the same name, endpoint,
/// password parameter and connection string. Its databases (the stock child resources) are created when it is ready
/// and their state follows the server's.
/// </summary>
public sealed class LocalPostgresServerResource(PostgresServerResource server, string command, string directory)
    : ExecutableResource(server.Name, command, directory), IResourceWithConnectionString
{
    /// <summary>The stock resource this process stands in for (its databases, user and password).</summary>
    public PostgresServerResource Server { get; } = server;

    public string RootDirectory { get; } = directory;
    public string ClusterDirectory => Path.Combine(RootDirectory, "data");
    public string SocketDirectory => Path.Combine(RootDirectory, "run");

    public ReferenceExpression ConnectionStringExpression => Server.ConnectionStringExpression;

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        ((IResourceWithConnectionString)Server).GetConnectionProperties();
}

public static class LocalPostgresExtensions
{
    /// <summary>The OS user PostgreSQL runs as when the AppHost runs as root (postgres refuses to run as root).</summary>
    private const string OsUserWhenRoot = "postgres";

    /// <summary>
    /// Runs this PostgreSQL server as a local process when the data-store mode says so (<see cref="LocalDataStores.ModeKey"/>):
    /// initdb on first run into <c>&lt;data directory&gt;/&lt;name&gt;</c>, SCRAM on loopback only, the password parameter
    /// applied on every start (never on a command line), as the <c>postgres</c> user through setpriv when root, fast
    /// shutdown on stop. Otherwise (containers, publish) the stock container resource stays as it is.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> RunAsLocalProcess(this IResourceBuilder<PostgresServerResource> builder)
    {
        var app = builder.ApplicationBuilder;
        if (!LocalDataStores.UseLocalProcesses(app)) return builder;

        var server = builder.Resource;
        var root = Path.Combine(LocalDataStores.DataDirectory(app), server.Name);
        var local = new LocalPostgresServerResource(server, LocalDataStores.IsRoot ? "/usr/bin/setpriv" : "postgres", root);
        LocalProcessSwap.ShareEndpoints(server, local);
        var fast = LocalDataStores.FastUnsafeStorage(app);
        string? binaries = null;

        var healthCheckKey = $"{server.Name}_local_check";
        string? connectionString = null;
        app.Services.AddHealthChecks().AddNpgSql(_ => connectionString ?? throw new InvalidOperationException("Connection string is unavailable"),
            name: healthCheckKey, configure: c => c.ConnectionString += ";Database=postgres");

        // The databases' health includes their parent's checks: the stock one never gets a connection string here, ours does.
        foreach (var check in server.Annotations.OfType<HealthCheckAnnotation>().ToList()) server.Annotations.Remove(check);
        server.Annotations.Add(new HealthCheckAnnotation(healthCheckKey));

        app.CreateResourceBuilder(local)
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey)
            .WithEnvironment("LC_ALL", "C.UTF-8")
            .WithEnvironment("PGPORT", server.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
            .WithArgs(context =>
            {
                if (LocalDataStores.IsRoot)
                {
                    context.Args.Add($"--reuid={OsUserWhenRoot}");
                    context.Args.Add($"--regid={OsUserWhenRoot}");
                    context.Args.Add("--init-groups");
                    context.Args.Add("--");
                }
                context.Args.Add(Path.Combine(binaries ?? FindServerBinaries(app), "postgres"));
                foreach (var arg in ServerArguments(local, fast)) context.Args.Add(arg);
            })
            .OnConnectionStringAvailable(async (_, e, ct) => connectionString = await local.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false))
            .OnBeforeResourceStarted(async (_, e, ct) =>
            {
                var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(local);
                await LocalDataStores.ReportFailureAsync(logger, async () =>
                {
                    binaries = FindServerBinaries(app);
                    await PrepareClusterAsync(local, binaries, fast, logger, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
            })
            .OnResourceReady(async (_, e, ct) =>
            {
                await CreateDatabasesAsync(local, connectionString!, e.Services, ct).ConfigureAwait(false);
            });

        LocalProcessSwap.ReplaceAtStart(app, server, local);
        DatabaseStates.FollowServer(app, local);
        return builder;
    }

    private static IEnumerable<string> ServerArguments(LocalPostgresServerResource local, bool fast)
    {
        // The port comes from PGPORT: the target port DCP picked behind the endpoint's proxy.
        string[] args =
        [
            "-D", local.ClusterDirectory, "-k", local.SocketDirectory,
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_permissions=0700",
            "-c", "shared_preload_libraries=pg_stat_statements",
            "-c", $"shared_buffers={SharedBuffersMegabytes()}MB",
        ];
        return fast ? [.. args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : args;
    }

    /// <summary>
    /// A quarter of the machine's memory, 128 MB to 2 GB (PostgreSQL's own sizing advice; its default is 128 MB at any size).
    /// With the default, a 1,000,000-line mirror (1.5 GB) no longer fits and every page request reads its blocks from the OS
    /// cache again: the per-request cost then grows with the data. The memory is taken as blocks are used, not at start.
    /// </summary>
    private static long SharedBuffersMegabytes() =>
        Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 / (1024 * 1024), 128, 2048);

    /// <summary>Newest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, or <c>AppHost:PostgresBinDirectory</c>.</summary>
    private static string FindServerBinaries(IDistributedApplicationBuilder app)
    {
        if (app.Configuration["AppHost:PostgresBinDirectory"] is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "postgres")) ? configured : throw new DistributedApplicationException(
                $"PostgreSQL server binaries were not found in {configured} (AppHost:PostgresBinDirectory): it has no 'postgres' program. " +
                $"Install them ({LocalDataStores.InstallHint("postgresql")}) and point the setting at /usr/lib/postgresql/<version>/bin, or remove it.");
        }
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new DistributedApplicationException(
            "PostgreSQL server binaries were not found under /usr/lib/postgresql/<version>/bin. Install them (" +
            LocalDataStores.InstallHint("postgresql") + "), set AppHost:PostgresBinDirectory, or run with containers (AppHost:DataStores=Containers).");
    }

    /// <summary>initdb on first run, a version check after, and the password parameter applied while the server is down.</summary>
    private static async Task PrepareClusterAsync(LocalPostgresServerResource local, string binaries, bool fast, ILogger logger, CancellationToken ct)
    {
        var osUser = LocalDataStores.IsRoot ? OsUserWhenRoot : null;
        Directory.CreateDirectory(local.RootDirectory);
        Directory.CreateDirectory(local.SocketDirectory);
        if (osUser is not null)
        {
            CheckParentsEnterable(local.RootDirectory, osUser);
            await RunAsync("chown", ["-R", $"{osUser}:{osUser}", local.RootDirectory], null, null, logger, ct).ConfigureAwait(false);
        }

        var userName = await UserNameAsync(local.Server, ct).ConfigureAwait(false);
        if (!File.Exists(Path.Combine(local.ClusterDirectory, "PG_VERSION")))
        {
            logger.LogInformation("Creating a new cluster in {Directory}.", local.ClusterDirectory);
            List<string> initdb = ["-D", local.ClusterDirectory, "-U", userName, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"];
            if (fast) initdb.Add("--no-sync");
            await RunAsync(Path.Combine(binaries, "initdb"), initdb, osUser, null, logger, ct).ConfigureAwait(false);
        }
        else
        {
            var clusterVersion = (await File.ReadAllTextAsync(Path.Combine(local.ClusterDirectory, "PG_VERSION"), ct).ConfigureAwait(false)).Trim();
            var binariesVersion = Path.GetFileName(Path.GetDirectoryName(binaries));
            if (int.TryParse(binariesVersion, out _) && clusterVersion != binariesVersion)
            {
                throw new DistributedApplicationException(
                    $"The cluster in {local.ClusterDirectory} was created by PostgreSQL {clusterVersion}, but the server binaries are version {binariesVersion}. " +
                    "Upgrade it with pg_upgrade, or move the directory away to start with a new cluster.");
            }
            logger.LogInformation("Reusing the cluster in {Directory}.", local.ClusterDirectory);
        }

        await WaitForPreviousServerAsync(local, logger, ct).ConfigureAwait(false);

        // Single-user mode reads the statement from stdin: the password is never on a command line, in a file or in a log,
        // and the current parameter value always wins (changing it never locks you out of an existing cluster).
        var password = await local.Server.PasswordParameter.GetValueAsync(ct).ConfigureAwait(false) ?? "";
        var statement = $"ALTER ROLE \"{userName.Replace("\"", "\"\"", StringComparison.Ordinal)}\" PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}';\n";
        await RunAsync(Path.Combine(binaries, "postgres"), ["--single", "-D", local.ClusterDirectory, "-c", "exit_on_error=true", "postgres"],
            osUser, statement, logger, ct, quiet: true).ConfigureAwait(false);
        logger.LogInformation("Applied the {Parameter} parameter to role {User}.", local.Server.PasswordParameter.Name, userName);
    }

    private static async Task<string> UserNameAsync(PostgresServerResource server, CancellationToken ct) =>
        server.UserNameParameter is { } parameter ? (await parameter.GetValueAsync(ct).ConfigureAwait(false))! : "postgres";

    /// <summary>DCP lets a previous run's server live on for a while after its AppHost exits; the cluster is locked until it stops.</summary>
    private static async Task WaitForPreviousServerAsync(LocalPostgresServerResource local, ILogger logger, CancellationToken ct)
    {
        var pidFile = Path.Combine(local.ClusterDirectory, "postmaster.pid");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var logged = false;
        while (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}"))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new DistributedApplicationException($"PostgreSQL (pid {pid}) from an earlier run still holds {local.ClusterDirectory}. Stop it (kill -INT {pid}) and start again.");
            }
            if (!logged) logger.LogInformation("Waiting for the previous run's PostgreSQL (pid {Pid}) to stop.", pid);
            logged = true;
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    private static void CheckParentsEnterable(string directory, string osUser)
    {
        if (OperatingSystem.IsWindows()) return;
        for (var dir = Path.GetDirectoryName(directory); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if ((mode & UnixFileMode.OtherExecute) == 0)
            {
                throw new DistributedApplicationException(
                    $"The PostgreSQL data directory {directory} is below {dir}, which the '{osUser}' user cannot enter (mode {Convert.ToString((int)mode, 8)}). " +
                    $"Choose a data directory outside it with {LocalDataStores.DataDirectoryKey} (for example /var/lib/pfa).");
            }
        }
    }

    /// <summary>Creates each stock database resource of the server (as Aspire does for the container; 42P04 = exists is fine).</summary>
    private static async Task CreateDatabasesAsync(LocalPostgresServerResource local, string connectionString, IServiceProvider services, CancellationToken ct)
    {
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(local);
        await using var connection = new NpgsqlConnection(connectionString + ";Database=postgres");
        await connection.OpenAsync(ct).ConfigureAwait(false);
        foreach (var (_, databaseName) in local.Server.Databases)
        {
            // CREATE DATABASE takes no parameters: the name is quoted as an identifier.
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{databaseName.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            try
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                logger.LogInformation("Created database {Database}.", databaseName);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
            }
        }
        await DatabaseStates.PublishReadyAsync(local, services, ct).ConfigureAwait(false);
    }

    /// <summary>Runs a setup tool to completion, its output into the resource's console; stdin optional (never logged).</summary>
    private static async Task RunAsync(string program, IEnumerable<string> args, string? osUser, string? stdin, ILogger logger, CancellationToken ct, bool quiet = false)
    {
        var info = new ProcessStartInfo(osUser is null ? program : "/usr/bin/setpriv")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        if (osUser is not null)
        {
            foreach (var a in new[] { $"--reuid={osUser}", $"--regid={osUser}", "--init-groups", "--", program }) info.ArgumentList.Add(a);
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["LC_ALL"] = "C.UTF-8";

        using var process = Process.Start(info) ?? throw new DistributedApplicationException($"Could not start {program}.");
        var output = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        lock (output)
        {
            // Single-user mode echoes nothing secret, but its banner is noise; show it only when something went wrong.
            if (!quiet || process.ExitCode != 0) foreach (var line in output) logger.LogInformation("{Tool}: {Line}", Path.GetFileName(program), line);
        }
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException($"{Path.GetFileName(program)} exited with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}; its output is above.");
        }
    }
}
