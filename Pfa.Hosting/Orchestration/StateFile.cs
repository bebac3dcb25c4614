using System.Text.Json;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// Records every child the AppHost started (PID + kernel start time + how to stop it) in the data directory.
/// If the AppHost is killed, the next start finds the orphans here and stops them before doing anything else.
/// </summary>
internal sealed class StateFile(string path)
{
    public sealed record Entry(string Resource, int Pid, long StartTime, int[] StopSignals, double[] StopTimeoutsSeconds);

    private sealed record State(List<Entry> Processes);

    private readonly Lock _gate = new();
    private FileStream? _lock;
    private readonly State _state = new([]);

    public string Path { get; } = path;

    /// <summary>Locks the data directory against a second AppHost; stops processes a dead one left behind.</summary>
    public async Task<IReadOnlyList<string>> ClaimAsync()
    {
        var notices = new List<string>();
        try
        {
            // An exclusive lock for the AppHost's lifetime: two AppHosts on one data directory would fight over every file in it.
            _lock = new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new DistributedApplicationException(
                $"Another AppHost is running with the data directory {System.IO.Path.GetDirectoryName(Path)}. " +
                "Stop it first (Ctrl+C in its terminal), or give this one another AppHost:DataDirectory.");
        }
        if (File.Exists(Path))
        {
            State? previous = null;
            try { previous = JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(Path).ConfigureAwait(false)); }
            catch (JsonException) { notices.Add($"Ignored an unreadable state file {Path}."); }

            if (previous is not null)
            {
                foreach (var entry in previous.Processes)
                {
                    if (!Native.IsAlive(entry.Pid, entry.StartTime)) continue;
                    notices.Add($"Stopping '{entry.Resource}' (PID {entry.Pid}) left running by an AppHost that did not shut down cleanly.");
                    await StopOrphanAsync(entry).ConfigureAwait(false);
                }
            }
        }
        Save();
        return notices;
    }

    private static async Task StopOrphanAsync(Entry entry)
    {
        for (var i = 0; i < entry.StopSignals.Length; i++)
        {
            Native.Signal(entry.Pid, entry.StopSignals[i]);
            var deadline = DateTime.UtcNow.AddSeconds(entry.StopTimeoutsSeconds[i]);
            while (DateTime.UtcNow < deadline && Native.IsAlive(entry.Pid, entry.StartTime)) await Task.Delay(50).ConfigureAwait(false);
            if (!Native.IsAlive(entry.Pid, entry.StartTime)) return;
        }
    }

    public void Add(string resource, ManagedProcess process)
    {
        lock (_gate)
        {
            _state.Processes.RemoveAll(p => p.Resource == resource);
            _state.Processes.Add(new Entry(resource, process.Pid, process.StartTime,
                process.StopSequence.Select(s => s.Signal).ToArray(), process.StopSequence.Select(s => s.Timeout.TotalSeconds).ToArray()));
            Save();
        }
    }

    public void Remove(string resource)
    {
        lock (_gate)
        {
            _state.Processes.RemoveAll(p => p.Resource == resource);
            Save();
        }
    }

    public void Delete()
    {
        lock (_gate)
        {
            if (File.Exists(Path)) File.Delete(Path);
            _lock?.Dispose();
            _lock = null;
            File.Delete(Path + ".lock");
        }
    }

    /// <summary>Best effort: a state file that cannot be written must never stop the AppHost from stopping its children.</summary>
    private void Save()
    {
        lock (_gate)
        {
            try
            {
                var temp = $"{Path}.{Environment.ProcessId}.tmp";
                File.WriteAllText(temp, JsonSerializer.Serialize(_state));
                File.Move(temp, Path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"apphost: could not write {Path}: {e.Message}");
            }
        }
    }
}
