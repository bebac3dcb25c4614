namespace Pfa.Dashboard.Telemetry;

/// <summary>What the store hands to persistence after each ingested batch.</summary>
public sealed record TelemetryBatch(IReadOnlyList<LogEntry> Logs, IReadOnlyList<SpanEntry> Spans, IReadOnlyList<MetricPoint> Metrics);

public interface ITelemetrySink
{
    /// <summary>Must not block: called on the OTLP request path.</summary>
    void Persist(TelemetryBatch batch);
}

public sealed record LogQuery(string? Resource = null, int MinSeverity = 0, string? Text = null, string? TraceId = null);

public sealed record TraceQuery(string? Resource = null, string? Text = null, bool ErrorsOnly = false);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total);

/// <summary>
/// The dashboard's telemetry in memory: bounded ring buffers per signal (oldest dropped first), queried by the pages.
/// Every ingested batch also goes to the <see cref="ITelemetrySink"/> (the SQLite writer) so it survives a restart.
/// Pages poll <see cref="Version"/> instead of subscribing to every batch, so a burst of spans costs one render.
/// </summary>
public sealed class TelemetryStore(TelemetryLimits limits, ITelemetrySink? sink = null)
{
    private readonly Lock _gate = new();
    private readonly RingBuffer<LogEntry> _logs = new(limits.MaxLogCount);
    private readonly RingBuffer<MetricPoint> _metrics = new(limits.MaxMetricPoints);
    private readonly Dictionary<string, TraceBucket> _traces = new(StringComparer.Ordinal);
    private readonly LinkedList<TraceBucket> _traceOrder = new();
    private readonly SortedSet<string> _resources = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Resource, string Name), InstrumentInfo> _instruments = new();
    private long _logSequence;
    private long _version;

    public TelemetryLimits Limits => limits;

    /// <summary>Changes with every ingested batch.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void AddLogs(IReadOnlyList<LogEntry> logs) => Add(logs, [], [], persist: true);
    public void AddSpans(IReadOnlyList<SpanEntry> spans) => Add([], spans, [], persist: true);
    public void AddMetrics(IReadOnlyList<MetricPoint> points) => Add([], [], points, persist: true);

    /// <summary>Data loaded from storage at start: kept in memory, not written again.</summary>
    public void Restore(TelemetryBatch batch) => Add(batch.Logs, batch.Spans, batch.Metrics, persist: false);

    private void Add(IReadOnlyList<LogEntry> logs, IReadOnlyList<SpanEntry> spans, IReadOnlyList<MetricPoint> metrics, bool persist)
    {
        if (logs.Count + spans.Count + metrics.Count == 0) return;
        lock (_gate)
        {
            foreach (var log in logs)
            {
                log.Sequence = ++_logSequence;
                _logs.Add(log);
                _resources.Add(log.Resource);
            }
            foreach (var span in spans) AddSpan(span);
            foreach (var point in metrics)
            {
                _metrics.Add(point);
                _resources.Add(point.Resource);
                _instruments[(point.Resource, point.Name)] = new InstrumentInfo(point.Resource, point.Scope, point.Name, point.Unit,
                    point.Description, point.Kind, point.IsMonotonic);
            }
            _version++;
        }
        if (persist) sink?.Persist(new TelemetryBatch(logs, spans, metrics));
    }

    private void AddSpan(SpanEntry span)
    {
        _resources.Add(span.Resource);
        if (!_traces.TryGetValue(span.TraceId, out var trace))
        {
            trace = new TraceBucket(span.TraceId);
            trace.Node = _traceOrder.AddLast(trace);
            _traces[span.TraceId] = trace;
            while (_traces.Count > limits.MaxTraceCount) RemoveTrace(_traceOrder.First!.Value);
        }
        trace.Add(span);
    }

    private void RemoveTrace(TraceBucket trace)
    {
        _traces.Remove(trace.TraceId);
        _traceOrder.Remove(trace.Node!);
    }

    /// <summary>Drops everything older than the retention window (the writer calls this periodically).</summary>
    public void Prune(DateTime cutoffUtc)
    {
        lock (_gate)
        {
            var dropped = _logs.DropOldestWhile(l => l.Timestamp < cutoffUtc) + _metrics.DropOldestWhile(m => m.Time < cutoffUtc);
            while (_traceOrder.First is { } first && first.Value.Start < cutoffUtc)
            {
                RemoveTrace(first.Value);
                dropped++;
            }
            if (dropped > 0) _version++;
        }
    }

    public IReadOnlyList<string> Resources()
    {
        lock (_gate) return [.. _resources];
    }

    public int LogCount { get { lock (_gate) return _logs.Count; } }
    public int TraceCount { get { lock (_gate) return _traces.Count; } }
    public int MetricPointCount { get { lock (_gate) return _metrics.Count; } }

    /// <summary>Matching logs, newest first.</summary>
    public Page<LogEntry> QueryLogs(LogQuery query, int skip, int take)
    {
        var page = new List<LogEntry>(Math.Max(0, Math.Min(take, 1_000)));
        var total = 0;
        lock (_gate)
        {
            foreach (var log in _logs.Newest())
            {
                if (!Matches(log, query)) continue;
                if (total >= skip && page.Count < take) page.Add(log);
                total++;
            }
        }
        return new Page<LogEntry>(page, total);
    }

    private static bool Matches(LogEntry log, LogQuery q) =>
        (q.Resource is null || string.Equals(log.Resource, q.Resource, StringComparison.OrdinalIgnoreCase))
        && log.SeverityNumber >= q.MinSeverity
        && (q.TraceId is null || log.TraceId == q.TraceId)
        && (string.IsNullOrWhiteSpace(q.Text)
            || log.Message.Contains(q.Text, StringComparison.OrdinalIgnoreCase)
            || log.Category.Contains(q.Text, StringComparison.OrdinalIgnoreCase)
            || log.Attributes.Any(a => a.Value.Contains(q.Text, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Matching traces, newest first.</summary>
    public Page<TraceSummary> QueryTraces(TraceQuery query, int skip, int take)
    {
        var page = new List<TraceSummary>(Math.Max(0, Math.Min(take, 1_000)));
        var total = 0;
        lock (_gate)
        {
            for (var node = _traceOrder.Last; node is not null; node = node.Previous)
            {
                var trace = node.Value;
                if (!trace.Matches(query)) continue;
                if (total >= skip && page.Count < take) page.Add(trace.Summarize());
                total++;
            }
        }
        return new Page<TraceSummary>(page, total);
    }

    /// <summary>The trace's spans ordered by start, or null when it is not (or no longer) kept.</summary>
    public IReadOnlyList<SpanEntry>? GetTrace(string traceId)
    {
        lock (_gate)
            return _traces.TryGetValue(traceId, out var trace) ? [.. trace.Spans.OrderBy(s => s.Start)] : null;
    }

    public IReadOnlyList<InstrumentInfo> Instruments(string resource)
    {
        lock (_gate)
            return [.. _instruments.Values.Where(i => string.Equals(i.Resource, resource, StringComparison.OrdinalIgnoreCase)).OrderBy(i => i.Name)];
    }

    /// <summary>The points of one instrument of one resource since <paramref name="sinceUtc"/>, oldest first.</summary>
    public IReadOnlyList<MetricPoint> MetricPoints(string resource, string name, DateTime sinceUtc)
    {
        var points = new List<MetricPoint>();
        lock (_gate)
        {
            for (var i = 0; i < _metrics.Count; i++)
            {
                var p = _metrics[i];
                if (p.Time >= sinceUtc && p.Name == name && string.Equals(p.Resource, resource, StringComparison.OrdinalIgnoreCase))
                    points.Add(p);
            }
        }
        return points;
    }

    private sealed class TraceBucket(string traceId)
    {
        public string TraceId { get; } = traceId;
        public List<SpanEntry> Spans { get; } = [];
        public LinkedListNode<TraceBucket>? Node { get; set; }
        public DateTime Start { get; private set; } = DateTime.MaxValue;
        private DateTime _end = DateTime.MinValue;
        private int _errors;

        public void Add(SpanEntry span)
        {
            Spans.Add(span);
            if (span.Start < Start) Start = span.Start;
            if (span.End > _end) _end = span.End;
            if (span.Status == SpanStatus.Error) _errors++;
        }

        public bool Matches(TraceQuery q) =>
            (!q.ErrorsOnly || _errors > 0)
            && (q.Resource is null || Spans.Any(s => string.Equals(s.Resource, q.Resource, StringComparison.OrdinalIgnoreCase)))
            && (string.IsNullOrWhiteSpace(q.Text) || TraceId.StartsWith(q.Text, StringComparison.OrdinalIgnoreCase)
                || Spans.Any(s => s.Name.Contains(q.Text, StringComparison.OrdinalIgnoreCase)));

        public TraceSummary Summarize()
        {
            var ids = Spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
            // The root: no parent, else the earliest span whose parent has not arrived (yet).
            var root = Spans.Where(s => s.ParentSpanId is null).MinBy(s => s.Start)
                ?? Spans.Where(s => !ids.Contains(s.ParentSpanId!)).MinBy(s => s.Start)
                ?? Spans[0];
            return new TraceSummary(TraceId, root.Name, root.Resource, Start, _end - Start, Spans.Count, _errors,
                [.. Spans.Select(s => s.Resource).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase)]);
        }
    }
}
