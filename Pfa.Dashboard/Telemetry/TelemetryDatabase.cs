using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Pfa.Dashboard.Telemetry;

/// <summary>
/// Telemetry on disk: one SQLite file under the storage path (<c>telemetry.db</c>), each item stored as its JSON with the
/// columns the retention and load queries need. Writes come in batches from <see cref="TelemetryWriter"/>, one transaction each.
/// </summary>
public sealed class TelemetryDatabase : IDisposable
{
    public const string FileName = "telemetry.db";
    private readonly SqliteConnection _connection;
    // One connection, used by the writer loop and the periodic prune.
    private readonly Lock _gate = new();

    public TelemetryDatabase(string storagePath)
    {
        Directory.CreateDirectory(storagePath);
        FilePath = Path.Combine(storagePath, FileName);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS logs_ts ON logs (ts);
            CREATE TABLE IF NOT EXISTS traces (trace_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, ts INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS traces_seq ON traces (seq);
            CREATE INDEX IF NOT EXISTS traces_ts ON traces (ts);
            CREATE TABLE IF NOT EXISTS spans (id INTEGER PRIMARY KEY AUTOINCREMENT, trace_id TEXT NOT NULL, data TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS spans_trace ON spans (trace_id);
            CREATE TABLE IF NOT EXISTS metric_points (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS metric_points_ts ON metric_points (ts);
            """);
    }

    public string FilePath { get; }

    public void Write(IReadOnlyList<TelemetryBatch> batches)
    {
        lock (_gate) WriteLocked(batches);
    }

    private void WriteLocked(IReadOnlyList<TelemetryBatch> batches)
    {
        using var tx = _connection.BeginTransaction();
        using var log = Command(tx, "INSERT INTO logs (ts, data) VALUES ($ts, $data)", "$ts", "$data");
        // A trace's first span fixes its place in the order; later spans of the same trace only add rows.
        using var trace = Command(tx, """
            INSERT INTO traces (trace_id, seq, ts) VALUES ($id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM traces), $ts)
            ON CONFLICT (trace_id) DO UPDATE SET ts = MIN(ts, excluded.ts)
            """, "$id", "$ts");
        using var span = Command(tx, "INSERT INTO spans (trace_id, data) VALUES ($id, $data)", "$id", "$data");
        using var metric = Command(tx, "INSERT INTO metric_points (ts, data) VALUES ($ts, $data)", "$ts", "$data");
        foreach (var batch in batches)
        {
            foreach (var l in batch.Logs) Run(log, l.Timestamp.Ticks, JsonSerializer.Serialize(l, TelemetryJson.Default.LogEntry));
            foreach (var s in batch.Spans)
            {
                Run(trace, s.TraceId, s.Start.Ticks);
                Run(span, s.TraceId, JsonSerializer.Serialize(s, TelemetryJson.Default.SpanEntry));
            }
            foreach (var m in batch.Metrics) Run(metric, m.Time.Ticks, JsonSerializer.Serialize(m, TelemetryJson.Default.MetricPoint));
        }
        tx.Commit();
    }

    /// <summary>Deletes what is past retention or beyond the count limits (oldest first); returns rows deleted.</summary>
    public int Prune(TelemetryLimits limits, DateTime cutoffUtc)
    {
        lock (_gate) return PruneLocked(limits, cutoffUtc);
    }

    private int PruneLocked(TelemetryLimits limits, DateTime cutoffUtc)
    {
        using var tx = _connection.BeginTransaction();
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            DELETE FROM logs WHERE ts < $cutoff
               OR id <= (SELECT id FROM logs ORDER BY id DESC LIMIT 1 OFFSET $maxLogs);
            DELETE FROM metric_points WHERE ts < $cutoff
               OR id <= (SELECT id FROM metric_points ORDER BY id DESC LIMIT 1 OFFSET $maxPoints);
            DELETE FROM traces WHERE ts < $cutoff
               OR seq <= (SELECT seq FROM traces ORDER BY seq DESC LIMIT 1 OFFSET $maxTraces);
            DELETE FROM spans WHERE NOT EXISTS (SELECT 1 FROM traces t WHERE t.trace_id = spans.trace_id);
            """;
        cmd.Parameters.AddWithValue("$cutoff", cutoffUtc.Ticks);
        cmd.Parameters.AddWithValue("$maxLogs", limits.MaxLogCount);
        cmd.Parameters.AddWithValue("$maxPoints", limits.MaxMetricPoints);
        cmd.Parameters.AddWithValue("$maxTraces", limits.MaxTraceCount);
        var deleted = cmd.ExecuteNonQuery();
        tx.Commit();
        return deleted;
    }

    /// <summary>The newest data within retention and limits, oldest first (the order the store ingests in).</summary>
    public TelemetryBatch Load(TelemetryLimits limits, DateTime cutoffUtc)
    {
        lock (_gate) return LoadLocked(limits, cutoffUtc);
    }

    private TelemetryBatch LoadLocked(TelemetryLimits limits, DateTime cutoffUtc)
    {
        var logs = Read("SELECT data FROM (SELECT id, data FROM logs WHERE ts >= $cutoff ORDER BY id DESC LIMIT $max) ORDER BY id",
            cutoffUtc, limits.MaxLogCount, json => JsonSerializer.Deserialize(json, TelemetryJson.Default.LogEntry));
        var spans = Read("""
            SELECT s.data FROM spans s
            JOIN (SELECT trace_id, seq FROM traces WHERE ts >= $cutoff ORDER BY seq DESC LIMIT $max) t ON t.trace_id = s.trace_id
            ORDER BY t.seq, s.id
            """, cutoffUtc, limits.MaxTraceCount, json => JsonSerializer.Deserialize(json, TelemetryJson.Default.SpanEntry));
        var metrics = Read("SELECT data FROM (SELECT id, data FROM metric_points WHERE ts >= $cutoff ORDER BY id DESC LIMIT $max) ORDER BY id",
            cutoffUtc, limits.MaxMetricPoints, json => JsonSerializer.Deserialize(json, TelemetryJson.Default.MetricPoint));
        return new TelemetryBatch(logs, spans, metrics);
    }

    public (long Logs, long Traces, long Spans, long MetricPoints) Counts()
    {
        lock (_gate) return CountsLocked();
    }

    private (long Logs, long Traces, long Spans, long MetricPoints) CountsLocked()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM logs), (SELECT COUNT(*) FROM traces), (SELECT COUNT(*) FROM spans), (SELECT COUNT(*) FROM metric_points)";
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    private List<T> Read<T>(string sql, DateTime cutoffUtc, int max, Func<string, T?> parse) where T : class
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$cutoff", cutoffUtc.Ticks);
        cmd.Parameters.AddWithValue("$max", max);
        using var reader = cmd.ExecuteReader();
        var items = new List<T>();
        while (reader.Read())
        {
            if (parse(reader.GetString(0)) is { } item) items.Add(item);
        }
        return items;
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql, params string[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        cmd.Prepare();
        return cmd;
    }

    private static void Run(SqliteCommand cmd, object a, object b)
    {
        cmd.Parameters[0].Value = a;
        cmd.Parameters[1].Value = b;
        cmd.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}
