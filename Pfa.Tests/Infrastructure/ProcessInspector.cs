namespace Pfa.Tests.Infrastructure;

/// <summary>Reads what the kernel knows about a process: its environment, owner and liveness.</summary>
public static class ProcessInspector
{
    public static Dictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "", StringComparer.Ordinal);

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static string[] CommandLine(int pid) =>
        File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);

    public static IEnumerable<int> Children(int pid) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(n => int.TryParse(n, out var p) ? p : 0).Where(p => p > 0)
            .Where(p =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{p}/stat");
                    return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) == pid;
                }
                catch (IOException) { return false; }
            });

    /// <summary>
    /// The service itself: DCP starts a project as <c>dotnet run --no-build</c>, which runs the built program as its child.
    /// </summary>
    public static int ServiceProcess(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            var args = CommandLine(pid);
            if (args.Length < 2 || Path.GetFileName(args[0]) != "dotnet" || args[1] != "run") return pid;
            if (Children(pid).FirstOrDefault() is var child and > 0) return ServiceProcess(child);
            Thread.Sleep(100); // dotnet run has not started the program yet
        }
        return pid;
    }

    /// <summary>The real uid of the process (first number of the Uid: line).</summary>
    public static int Uid(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<bool> WaitUntilGoneAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }
}
