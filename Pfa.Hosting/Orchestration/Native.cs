using System.Runtime.InteropServices;

namespace Pfa.Hosting.Orchestration;

/// <summary>The few POSIX calls .NET does not expose: signals other than SIGKILL, the effective uid, process identity.</summary>
internal static partial class Native
{
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint SysGetEuid();

    public static bool IsRoot => SysGetEuid() == 0;

    public static bool Signal(int pid, int signal) => SysKill(pid, signal) == 0;

    public static string SignalName(int signal) => signal switch
    {
        SIGINT => "SIGINT", SIGQUIT => "SIGQUIT", SIGKILL => "SIGKILL", SIGTERM => "SIGTERM", _ => $"signal {signal}",
    };

    /// <summary>
    /// The kernel's start time of a process (clock ticks since boot, field 22 of /proc/pid/stat).
    /// A PID plus its start time identifies a process even after PIDs are reused. Null when it is gone.
    /// </summary>
    public static long? ProcessStartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] == "Z") return null; // a zombie has already exited
            return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static bool IsAlive(int pid, long startTime) => ProcessStartTime(pid) == startTime;
}
