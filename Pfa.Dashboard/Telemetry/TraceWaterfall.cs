namespace Pfa.Dashboard.Telemetry;

public sealed record WaterfallRow(SpanEntry Span, int Depth, double Offset, double Width);

/// <summary>
/// A trace laid out for the waterfall: spans depth-first under their parents (children by start time), each with its
/// offset and width as fractions of the whole trace. Spans whose parent is missing start their own branch at depth 0.
/// </summary>
public sealed record TraceWaterfall(IReadOnlyList<WaterfallRow> Rows, DateTime Start, TimeSpan Duration)
{
    public static TraceWaterfall Build(IReadOnlyList<SpanEntry> spans)
    {
        if (spans.Count == 0) return new TraceWaterfall([], default, TimeSpan.Zero);
        var start = spans.Min(s => s.Start);
        var end = spans.Max(s => s.End);
        var total = Math.Max((end - start).Ticks, 1);
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var children = spans.Where(s => s.ParentSpanId is not null && ids.Contains(s.ParentSpanId))
            .GroupBy(s => s.ParentSpanId!)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Start).ToList(), StringComparer.Ordinal);
        var rows = new List<WaterfallRow>(spans.Count);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(SpanEntry Span, int Depth)>();
        foreach (var root in spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).OrderByDescending(s => s.Start))
            stack.Push((root, 0));
        while (stack.TryPop(out var item))
        {
            if (!visited.Add(item.Span.SpanId)) continue; // a repeated span id must not loop
            rows.Add(new WaterfallRow(item.Span, item.Depth,
                (double)(item.Span.Start - start).Ticks / total, (double)item.Span.Duration.Ticks / total));
            if (children.TryGetValue(item.Span.SpanId, out var kids))
                for (var i = kids.Count - 1; i >= 0; i--) stack.Push((kids[i], item.Depth + 1));
        }
        return new TraceWaterfall(rows, start, end - start);
    }
}
