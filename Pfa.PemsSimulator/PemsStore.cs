using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Pfa.Pems.Grid;

namespace Pfa.PemsSimulator;

/// <summary>
/// The simulated PEMS database: seeded records per organization plus an append-only journal of edits, replayed on
/// start so restarts keep edits. Records are replaced, never mutated in place, so a grid response can stream a
/// snapshot without holding the lock.
/// </summary>
public sealed class PemsStore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PemsStore> _logger;
    private readonly Dictionary<string, SortedDictionary<string, IReadOnlyDictionary<string, string?>>> _orgs =
        new(StringComparer.OrdinalIgnoreCase);
    private FileStream? _journal;
    private DateTime _lastStamp;

    public PemsStore(IOptions<SimulatorOptions> options, TimeProvider time, ILogger<PemsStore> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        Load();
    }

    public IReadOnlyList<string> Organizations => _options.Organizations;

    public bool IsKnownOrganization(string org) => _orgs.ContainsKey(org);

    /// <summary>The journal file; its name carries the seed parameters so a different seed never replays foreign edits.</summary>
    public string? JournalPath => string.IsNullOrWhiteSpace(_options.DataDirectory)
        ? null
        : Path.Combine(_options.DataDirectory, string.Create(CultureInfo.InvariantCulture,
            $"pems-sim-{_options.Seed}-{_options.RecordsPerOrganization}-{SeedGenerator.StableHash(string.Join(',', _options.Organizations)):x8}.journal.jsonl"));

    private void Load()
    {
        for (var i = 0; i < _options.Organizations.Count; i++)
        {
            var org = _options.Organizations[i];
            var records = new SortedDictionary<string, IReadOnlyDictionary<string, string?>>(StringComparer.Ordinal);
            foreach (var r in SeedGenerator.Generate(_options.Seed, org, i, _options.RecordsPerOrganization))
            {
                records[r[CupfagGrid.PfaId]!] = r;
                TrackStamp(r);
            }
            _orgs[org] = records;
        }

        if (JournalPath is not { } path) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var goodLength = Replay(path);
        _journal = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        // Drop a torn last line left by a crash, so new entries start on a clean line.
        _journal.SetLength(goodLength);
        _journal.Seek(goodLength, SeekOrigin.Begin);
    }

    private long Replay(string path)
    {
        if (!File.Exists(path)) return 0;
        long good = 0;
        var applied = 0;
        var bytes = File.ReadAllBytes(path);
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'\n') continue;
            try
            {
                var entry = JsonSerializer.Deserialize<JournalEntry>(bytes.AsSpan(start, i - start));
                if (entry is not null) Apply(entry);
                applied++;
                good = i + 1;
            }
            catch (JsonException)
            {
                _logger.LogWarning("Ignoring a corrupt journal line at byte {Offset} of {Path}", start, path);
                break;
            }
            start = i + 1;
        }
        _logger.LogInformation("Replayed {Count} journal entries from {Path}", applied, path);
        return good;
    }

    private void Apply(JournalEntry entry)
    {
        if (!_orgs.TryGetValue(entry.Org, out var records)) return;
        if (entry.Op == "del") records.Remove(entry.Id);
        else if (entry.Values is not null)
        {
            records[entry.Id] = entry.Values;
            TrackStamp(entry.Values);
        }
    }

    private void TrackStamp(IReadOnlyDictionary<string, string?> r)
    {
        if (DateTime.TryParseExact(r.GetValueOrDefault(CupfagGrid.LastModified), CupfagGrid.DateTimeFormat,
                CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var s)
            && s > _lastStamp)
            _lastStamp = s;
    }

    /// <summary>A strictly increasing last-modified stamp, so every edit is visible to a changed-since filter.</summary>
    private string NextStamp()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        _lastStamp = now > _lastStamp ? now : _lastStamp.AddMilliseconds(1);
        return SeedGenerator.T(_lastStamp);
    }

    public IReadOnlyList<IReadOnlyDictionary<string, string?>> Snapshot(string? organization)
    {
        lock (_gate)
        {
            if (organization is null) return _orgs.Values.SelectMany(o => o.Values).ToList();
            return _orgs.TryGetValue(organization, out var records) ? [.. records.Values] : [];
        }
    }

    public IReadOnlyDictionary<string, string?>? Find(string organization, string pfaId)
    {
        lock (_gate)
            return _orgs.TryGetValue(organization, out var records) ? records.GetValueOrDefault(pfaId) : null;
    }

    /// <summary>Applies changes; bumps the stamp only when a value really changed, so a repeated UPDATE is a no-op.</summary>
    public IReadOnlyDictionary<string, string?>? Update(string organization, string pfaId, IReadOnlyDictionary<string, string?> changes, string user)
    {
        lock (_gate)
        {
            if (!_orgs.TryGetValue(organization, out var records) || !records.TryGetValue(pfaId, out var current)) return null;
            if (changes.All(c => current.GetValueOrDefault(c.Key) == c.Value)) return current;
            var next = new Dictionary<string, string?>(current, StringComparer.Ordinal);
            foreach (var (k, v) in changes) next[k] = v;
            Stamp(next, user);
            records[pfaId] = next;
            Journal([new JournalEntry("put", organization, pfaId, next)]);
            return next;
        }
    }

    public IReadOnlyDictionary<string, string?> Add(string organization, IReadOnlyDictionary<string, string?> values, string user)
    {
        lock (_gate)
        {
            var records = _orgs[organization];
            var max = records.Count == 0 ? 10_000 : records.Keys.Max(k => int.TryParse(k, out var n) ? n : 0);
            var pfaId = (max + 1).ToString(CultureInfo.InvariantCulture);
            var next = new Dictionary<string, string?>(values, StringComparer.Ordinal)
            {
                [CupfagGrid.PfaId] = pfaId,
                [CupfagGrid.Organization] = organization,
            };
            Stamp(next, user);
            records[pfaId] = next;
            Journal([new JournalEntry("put", organization, pfaId, next)]);
            return next;
        }
    }

    public bool Delete(string organization, string pfaId)
    {
        lock (_gate)
        {
            if (!_orgs.TryGetValue(organization, out var records) || !records.Remove(pfaId)) return false;
            Journal([new JournalEntry("del", organization, pfaId, null)]);
            return true;
        }
    }

    /// <summary>Simulates planners editing in PEMS: shifts forecast windows and rates of N random records.</summary>
    public IReadOnlyList<(string Organization, string PfaId)> MutateRandom(string? organization, int count, int seed)
    {
        lock (_gate)
        {
            var rng = new Random(seed);
            var picked = Pick(organization, count, rng);
            var entries = new List<JournalEntry>();
            foreach (var (org, id) in picked)
            {
                var next = new Dictionary<string, string?>(_orgs[org][id], StringComparer.Ordinal);
                var shift = rng.Next(7, 60) * (rng.Next(2) == 0 ? -1 : 1);
                if (DateOnly.TryParseExact(next["pfs_f_startdate"], CupfagGrid.DateFormat, out var fs))
                    next["pfs_f_startdate"] = SeedGenerator.D(fs.AddDays(shift));
                if (DateOnly.TryParseExact(next["pfs_f_enddate"], CupfagGrid.DateFormat, out var fe))
                    next["pfs_f_enddate"] = SeedGenerator.D(fe.AddDays(shift + rng.Next(0, 30)));
                if (decimal.TryParse(next.GetValueOrDefault("pfs_f_rental"), CultureInfo.InvariantCulture, out var rate))
                    next["pfs_f_rental"] = SeedGenerator.N(Math.Round(rate * (decimal)(0.9 + rng.NextDouble() * 0.2), 2));
                Stamp(next, "PEMS_PLANNER");
                _orgs[org][id] = next;
                entries.Add(new JournalEntry("put", org, id, next));
            }
            Journal(entries);
            return picked;
        }
    }

    public IReadOnlyList<(string Organization, string PfaId)> DeleteRandom(string? organization, int count, int seed)
    {
        lock (_gate)
        {
            var picked = Pick(organization, count, new Random(seed));
            foreach (var (org, id) in picked) _orgs[org].Remove(id);
            Journal(picked.Select(p => new JournalEntry("del", p.Organization, p.PfaId, null)).ToList());
            return picked;
        }
    }

    public Dictionary<string, int> Counts()
    {
        lock (_gate) return _orgs.ToDictionary(o => o.Key, o => o.Value.Count);
    }

    private List<(string Organization, string PfaId)> Pick(string? organization, int count, Random rng)
    {
        var pool = _orgs.Where(o => organization is null || string.Equals(o.Key, organization, StringComparison.OrdinalIgnoreCase))
            .SelectMany(o => o.Value.Keys.Select(k => (o.Key, k))).ToArray();
        rng.Shuffle(pool);
        return pool.Take(Math.Clamp(count, 0, pool.Length)).ToList();
    }

    private void Stamp(Dictionary<string, string?> record, string user)
    {
        record[CupfagGrid.LastModified] = NextStamp();
        record["pfs_lastmodifiedby"] = user;
        record["pfs_f_last_change_by"] = user;
        record["pfs_f_lastchangedate"] = record[CupfagGrid.LastModified];
        record["pfs_f_last_revision"] = (int.TryParse(record.GetValueOrDefault("pfs_f_last_revision"), out var rev) ? rev + 1 : 1)
            .ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>One write plus one flush to disk per batch: a crash leaves whole lines or one torn last line, never a half-applied edit.</summary>
    private void Journal(IReadOnlyList<JournalEntry> entries)
    {
        if (_journal is null || entries.Count == 0) return;
        var buffer = new MemoryStream();
        foreach (var e in entries)
        {
            JsonSerializer.Serialize(buffer, e);
            buffer.WriteByte((byte)'\n');
        }
        _journal.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _journal.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _journal?.Dispose();
            _journal = null;
        }
    }

    private sealed record JournalEntry(string Op, string Org, string Id, IReadOnlyDictionary<string, string?>? Values);
}
