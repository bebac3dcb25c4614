using System.Text;
using System.Text.RegularExpressions;

namespace Pfa.Hosting.Orchestration;

/// <summary>One line of a resource's output as the dashboard sees it.</summary>
internal sealed record ConsoleLine(string Resource, long LineNumber, DateTimeOffset Timestamp, bool IsError, string Text)
{
    /// <summary>Order across all resources (lines of different resources can share a timestamp).</summary>
    public long Sequence { get; init; }
}

/// <summary>
/// One resource's output: the full log in a file, the last lines in a bounded in-memory ring (error messages and the
/// dashboard's console view, live followers included), and optionally the console with a name prefix.
/// </summary>
internal sealed partial class ResourceLog : IDisposable
{
    private static long _sequence;
    private readonly Queue<ConsoleLine> _ring = new();
    private readonly int _capacity;
    private readonly List<Func<ConsoleLine, bool>> _followers = [];
    private readonly StreamWriter _file;
    private readonly ConsoleWriter? _console;
    private readonly string _name;
    private readonly Lock _gate = new();
    private long _lineNumber;

    public ResourceLog(string name, string logDirectory, ConsoleWriter? console, int capacity = 200)
    {
        _name = name;
        _console = console;
        _capacity = Math.Max(1, capacity);
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
            var now = DateTimeOffset.Now;
            var entry = new ConsoleLine(_name, ++_lineNumber, now, isError, line) { Sequence = Interlocked.Increment(ref _sequence) };
            _file.WriteLine($"{now:HH:mm:ss.fff} {(isError ? "err" : "out")} {line}");
            _ring.Enqueue(entry);
            if (_ring.Count > _capacity) _ring.Dequeue();
            // A follower that cannot keep up is dropped (it returns false); its stream ends and the client reconnects.
            _followers.RemoveAll(f => !f(entry));
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
            return _ring.Select(l => l.Text)
                .Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && !l.Contains("--- End of stack trace", StringComparison.Ordinal))
                .TakeLast(count).ToList();
        }
    }

    /// <summary>The last <paramref name="count"/> lines kept in memory (all when null).</summary>
    public IReadOnlyList<ConsoleLine> Lines(int? count = null)
    {
        lock (_gate) return count is { } n ? _ring.TakeLast(n).ToList() : _ring.ToList();
    }

    /// <summary>
    /// The kept lines and, from then on, every new line to <paramref name="onLine"/> — atomically, so nothing is
    /// missed or repeated between the two. Dispose the result to stop following.
    /// </summary>
    public IDisposable Follow(Func<ConsoleLine, bool> onLine, out IReadOnlyList<ConsoleLine> backlog)
    {
        lock (_gate)
        {
            backlog = _ring.ToList();
            _followers.Add(onLine);
        }
        return new Unfollow(this, onLine);
    }

    private sealed class Unfollow(ResourceLog log, Func<ConsoleLine, bool> onLine) : IDisposable
    {
        public void Dispose()
        {
            lock (log._gate) log._followers.Remove(onLine);
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
