using System.Diagnostics;

namespace Pfa.Hosting.Orchestration;

/// <summary>What to launch and how to stop it again.</summary>
internal sealed record ProcessLaunch(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    /// <summary>The complete environment of the child (nothing else is inherited).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>OS user to drop to with setpriv (PostgreSQL refuses to run as root).</summary>
    public string? RunAsUser { get; init; }

    /// <summary>Sent by the kernel if the AppHost dies without stopping the child (SIGINT = PostgreSQL's fast shutdown).</summary>
    public int ParentDeathSignal { get; init; } = Native.SIGTERM;

    /// <summary>Signals tried in order, each given its timeout, before the next. SIGKILL, if at all, comes last.</summary>
    public IReadOnlyList<(int Signal, TimeSpan Timeout)> StopSequence { get; init; } =
        [(Native.SIGTERM, TimeSpan.FromSeconds(10)), (Native.SIGKILL, TimeSpan.FromSeconds(5))];
}

/// <summary>
/// Forks every child from one thread that lives as long as the AppHost: the kernel sends a child its parent-death
/// signal when the forking *thread* exits, so forking from a pool thread that later retires would kill it.
/// </summary>
internal static class ProcessLauncher
{
    private static readonly System.Collections.Concurrent.BlockingCollection<(Process Process, TaskCompletionSource Done)> Queue = new();

    static ProcessLauncher()
    {
        new Thread(() =>
        {
            foreach (var (process, done) in Queue.GetConsumingEnumerable())
            {
                try { process.Start(); done.SetResult(); }
                catch (Exception e) { done.SetException(e); }
            }
        }) { IsBackground = true, Name = "Pfa process launcher" }.Start();
    }

    public static void Start(Process process)
    {
        var done = new TaskCompletionSource();
        Queue.Add((process, done));
        done.Task.GetAwaiter().GetResult();
    }
}

/// <summary>
/// A supervised child process. It runs in its own session (<c>setsid</c>, which execs, so the PID is the program's):
/// Ctrl+C in the terminal reaches only the AppHost, which then stops children in dependency order.
/// </summary>
internal sealed class ManagedProcess
{
    private readonly Process _process;
    private readonly ProcessLaunch _launch;
    private readonly ResourceLog _log;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagedProcess(Process process, ProcessLaunch launch, ResourceLog log)
    {
        _process = process;
        _launch = launch;
        _log = log;
    }

    public int Pid => _process.Id;
    public long StartTime { get; private set; }
    public Task<int> Exited => _exited.Task;
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The AppHost asked it to stop: its exit is expected, not a crash.</summary>
    public bool StopRequested { get; private set; }
    public IReadOnlyList<(int Signal, TimeSpan Timeout)> StopSequence => _launch.StopSequence;

    public static ManagedProcess Start(ProcessLaunch launch, ResourceLog log)
    {
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = launch.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // setpriv execs too: it sets the parent-death signal (after any uid change, which would clear it) and
        // drops to the run-as user; the PID stays the program's.
        info.ArgumentList.Add("setpriv");
        info.ArgumentList.Add($"--pdeathsig={Native.SignalName(launch.ParentDeathSignal)[3..]}");
        if (launch.RunAsUser is { } user)
        {
            foreach (var a in new[] { $"--reuid={user}", $"--regid={user}", "--init-groups" }) info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add("--");
        info.ArgumentList.Add(launch.FileName);
        foreach (var a in launch.Arguments) info.ArgumentList.Add(a);
        info.Environment.Clear();
        foreach (var (key, value) in launch.Environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process, launch, log);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Write(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Write(e.Data, isError: true); };

        ProcessLauncher.Start(process);
        managed.StartTime = Native.ProcessStartTime(process.Id) ?? 0;
        process.StandardInput.Close(); // servers must not wait on a terminal
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = managed.WatchExitAsync();
        return managed;
    }

    private async Task WatchExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false); // also drains redirected output
        _exited.TrySetResult(_process.ExitCode);
    }

    /// <summary>Stops the process with its signal sequence; returns the exit code (or null if it would not die).</summary>
    public async Task<int?> StopAsync()
    {
        StopRequested = true;
        foreach (var (signal, timeout) in _launch.StopSequence)
        {
            if (HasExited) break;
            if (signal == Native.SIGKILL) _log.Notice($"Process {Pid} did not stop in time; sending SIGKILL.");
            Native.Signal(Pid, signal);
            if (await Task.WhenAny(Exited, Task.Delay(timeout)).ConfigureAwait(false) == Exited) break;
        }
        return HasExited ? await Exited.ConfigureAwait(false) : null;
    }
}
