using System.Diagnostics;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>The AppHost as a real process: Ctrl+C, being killed, and running as an ordinary user.</summary>
public sealed class AppHostProcessTests
{
    private const int SIGINT = 2;
    private const int SIGKILL = 9;
    private const string NonRootUser = "pfa-nonroot";

    private static string NewDataDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "pfa-proc-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        return path;
    }

    [Fact]
    public async Task Ctrl_c_stops_the_whole_stack_and_leaves_no_process_behind()
    {
        var data = NewDataDirectory();
        try
        {
            // Any web project serving /health stands in for the dashboard (its UI is tested in its own project).
            await using var host = AppHostProcess.Start(data, [], environment: new Dictionary<string, string>
            {
                ["AppHost__Dashboard__ProjectPath"] = new Projects.Pfa_PemsSimulator().ProjectPath,
                // The stand-in does not listen for OTLP; exporters with nowhere to send would outlast their stop signal.
                ["OTEL_SDK_DISABLED"] = "true",
            });
            await host.WaitUntilReadyAsync();
            var children = AppHostProcess.ChildPids(data);
            Assert.Equal(["api", "cache", "dashboard", "pems", "pg", "pgadmin", "syncworker", "web"], children.Keys.Order());
            Assert.Matches(@"Dashboard: http://localhost:\d+/login\?t=[0-9a-f]{32}", host.Output);
            Assert.All(children.Values, pid => Assert.True(ProcessInspector.IsAlive(pid)));

            host.Signal(SIGINT);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(90)));

            foreach (var (name, pid) in children) Assert.False(ProcessInspector.IsAlive(pid), $"{name} (PID {pid}) survived Ctrl+C");
            Assert.False(File.Exists(Path.Combine(data, "apphost-state.json")));
            // Dependents stop before what they depend on: web before api, api before the database server.
            var output = host.Output;
            Assert.True(output.IndexOf("web        | [apphost] Stopped", StringComparison.Ordinal) < output.IndexOf("api        | [apphost] Stopped", StringComparison.Ordinal));
            Assert.True(output.IndexOf("api        | [apphost] Stopped", StringComparison.Ordinal) < output.IndexOf("received fast shutdown request", StringComparison.Ordinal));
            Assert.DoesNotContain("sending SIGKILL", output, StringComparison.Ordinal); // every child stopped on its first signal
            // The dashboard goes last: it sees every other resource stop.
            Assert.True(output.IndexOf("database system is shut down", StringComparison.Ordinal) < output.IndexOf("dashboard  | [apphost] Stopped", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Children_die_with_a_killed_apphost()
    {
        var data = NewDataDirectory();
        try
        {
            await using var host = AppHostProcess.Start(data, ["--only", "pfadb,cache"]);
            await host.WaitUntilReadyAsync();
            var children = AppHostProcess.ChildPids(data);
            host.Signal(SIGKILL);
            await host.WaitForExitAsync(TimeSpan.FromSeconds(10));

            // The kernel delivers each child's parent-death signal (SIGINT: PostgreSQL's fast shutdown).
            foreach (var (name, pid) in children) Assert.True(await ProcessInspector.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(20)), $"{name} (PID {pid}) outlived the killed AppHost");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Processes_recorded_by_a_dead_apphost_are_stopped_by_the_next_start()
    {
        var data = NewDataDirectory();
        using var stray = Process.Start(new ProcessStartInfo("setsid", ["sleep", "300"]))!;
        try
        {
            // What a crashed AppHost leaves behind: a state file naming a live child (here a stand-in process).
            var startTime = File.ReadAllText($"/proc/{stray.Id}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[19];
            await File.WriteAllTextAsync(Path.Combine(data, "apphost-state.json"),
                $$"""{"Processes":[{"Resource":"cache","Pid":{{stray.Id}},"StartTime":{{startTime}},"StopSignals":[15],"StopTimeoutsSeconds":[5]}]}""",
                TestContext.Current.CancellationToken);

            await using var host = AppHostProcess.Start(data, ["--only", "cache"]);
            await host.WaitUntilReadyAsync();
            Assert.Contains($"Stopping 'cache' (PID {stray.Id}) left running by an AppHost that did not shut down cleanly", host.Output, StringComparison.Ordinal);
            Assert.True(stray.HasExited || await ProcessInspector.WaitUntilGoneAsync(stray.Id, TimeSpan.FromSeconds(5)));
            var replacement = AppHostProcess.ChildPids(data)["cache"];

            // A second AppHost on the same data directory is refused while the first runs.
            await using var intruder = AppHostProcess.Start(data, ["--only", "cache"]);
            Assert.NotEqual(0, await intruder.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Another AppHost is running with the data directory", intruder.Output, StringComparison.Ordinal);
            Assert.True(ProcessInspector.IsAlive(replacement));

            host.Signal(SIGINT);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(ProcessInspector.IsAlive(replacement));
        }
        finally
        {
            if (!stray.HasExited) stray.Kill();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task An_ordinary_user_runs_postgres_as_itself_without_setpriv()
    {
        var data = NewDataDirectory();
        string? user = null;
        string? appHost = null;
        try
        {
            if (Environment.UserName == "root")
            {
                // Root drops to 'postgres'; the other path needs an ordinary user, so make one.
                user = NonRootUser;
                EnsureUser(user);
                // A copy of the AppHost's build output the user can read, wherever the repository lives.
                appHost = Path.Combine(data, "apphost");
                CopyDirectory(AppHostProcess.AppHostBinDirectory(), appHost);
            }
            var pgData = Path.Combine(data, "state");
            Directory.CreateDirectory(pgData);
            if (user is not null) Run("chown", "-R", $"{user}:{user}", data);

            await using var host = AppHostProcess.Start(pgData, ["--only", "pfadb"], runAsUser: user, appHostDirectory: appHost,
                environment: new Dictionary<string, string> { ["HOME"] = data, ["DOTNET_CLI_HOME"] = data });
            await host.WaitUntilReadyAsync();

            var postgres = AppHostProcess.ChildPids(pgData)["pg"];
            var expectedUid = user is null ? ProcessInspector.Uid(Environment.ProcessId) : int.Parse(Run("id", "-u", user).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expectedUid, ProcessInspector.Uid(postgres));
            Assert.Contains("Created database pfadb", host.Output, StringComparison.Ordinal);

            host.Signal(SIGINT);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(ProcessInspector.IsAlive(postgres));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static void EnsureUser(string user)
    {
        if (File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal))) return;
        Run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", user);
    }

    private static void CopyDirectory(string source, string target)
    {
        Run("cp", "-a", source, target);
        Run("chmod", "-R", "a+rX", target);
    }

    private static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        return output;
    }
}
