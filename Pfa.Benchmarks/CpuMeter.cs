namespace Pfa.Benchmarks;

/// <summary>CPU time consumed so far by the API process and by PostgreSQL, in ms.</summary>
public readonly record struct CpuSample(double ApiMs, double PostgresMs)
{
    public static CpuSample operator -(CpuSample a, CpuSample b) => new(a.ApiMs - b.ApiMs, a.PostgresMs - b.PostgresMs);
    public static CpuSample operator +(CpuSample a, CpuSample b) => new(a.ApiMs + b.ApiMs, a.PostgresMs + b.PostgresMs);
}

/// <summary>
/// CPU time from /proc (user + system, clock ticks of 10 ms): the API process, and PostgreSQL as the postmaster plus its
/// live children (backends, autovacuum, writers) plus the children it has already reaped. Unlike wall-clock latency it does
/// not grow when other programs share the cores, so it is the figure to compare between data-set sizes.
/// </summary>
public sealed class CpuMeter(int apiPid, int postmasterPid)
{
    private const double MsPerTick = 10; // USER_HZ is 100 on Linux

    public CpuSample Read()
    {
        var postgres = 0L;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (Stat(pid) is not { } s) continue;
            if (pid == postmasterPid) postgres += s.UTime + s.STime + s.CUTime + s.CSTime;
            else if (s.PPid == postmasterPid) postgres += s.UTime + s.STime;
        }
        var api = Stat(apiPid) is { } a ? a.UTime + a.STime : 0;
        return new CpuSample(api * MsPerTick, postgres * MsPerTick);
    }

    /// <summary>The parent of a backend's process id (from <c>pg_backend_pid()</c>) is the postmaster.</summary>
    public static int ParentOf(int pid) => Stat(pid)?.PPid ?? throw new InvalidOperationException($"No process {pid}.");

    private sealed record ProcStat(int PPid, long UTime, long STime, long CUTime, long CSTime);

    private static ProcStat? Stat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; } // exited meanwhile
        catch (UnauthorizedAccessException) { return null; }
        // "pid (comm) state ppid … utime stime cutime cstime …": comm may hold spaces, so split after its closing parenthesis.
        var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new ProcStat(int.Parse(f[1]), long.Parse(f[11]), long.Parse(f[12]), long.Parse(f[13]), long.Parse(f[14]));
    }
}
