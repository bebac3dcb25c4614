using System.Text;
using System.Text.RegularExpressions;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// One resource's output: the full log in a file, the last lines in memory (for error messages),
/// and optionally the console with a name prefix.
/// </summary>
internal sealed partial class ResourceLog : IDisposable
{
    private const int TailCapacity = 200;
    private readonly Queue<string> _tail = new();
    private readonly StreamWriter _file;
    private readonly ConsoleWriter? _console;
    private readonly string _name;
    private readonly Lock _gate = new();

    public ResourceLog(string name, string logDirectory, ConsoleWriter? console)
    {
        _name = name;
        _console = console;
        Directory.CreateDirectory(logDirectory);
        FilePath = Path.Combine(logDirectory, $"{name}.log");
        // Keep the previous run's log: it usually explains why this run was needed.
        if (File.Exists(FilePath)) File.Move(FilePath, FilePath + ".1", overwrite: true);
        _file = new StreamWriter(new FileStream(FilePath, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true };
    }

    public string FilePath { get; }

    /// <summary>Lines the console skips (still in the file), e.g. PHP's per-request access log.</summary>
    public Func<string, bool>? HideFromConsole { get; set; }

    public void Write(string line, bool isError = false)
    {
        line = AnsiEscape().Replace(line, "");
        lock (_gate)
        {
            _file.WriteLine($"{DateTimeOffset.Now:HH:mm:ss.fff} {(isError ? "err" : "out")} {line}");
            _tail.Enqueue(line);
            if (_tail.Count > TailCapacity) _tail.Dequeue();
        }
        if (HideFromConsole?.Invoke(line) != true) _console?.WriteResourceLine(_name, line, isError);
    }

    /// <summary>A line from the AppHost itself about this resource.</summary>
    public void Notice(string message) => Write($"[apphost] {message}");

    /// <summary>The last lines worth reading: stack frames are skipped so the exception message itself shows.</summary>
    public IReadOnlyList<string> Tail(int count = 15)
    {
        lock (_gate)
        {
            return _tail.Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && !l.Contains("--- End of stack trace", StringComparison.Ordinal))
                .TakeLast(count).ToList();
        }
    }

    // Services colour their console logs (Aspire sets DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION); files want plain text.
    [GeneratedRegex(@"\x1B\[[0-9;]*[A-Za-z]")]
    private static partial Regex AnsiEscape();

    public void Dispose()
    {
        lock (_gate) _file.Dispose();
    }
}
