namespace Pfa.Dashboard.Telemetry;

public sealed record MetricLine(string Name, double?[] Values);

public sealed record MetricChart(string Title, string Unit, DateTime[] BucketEnds, IReadOnlyList<MetricLine> Lines);

/// <summary>
/// Turns an instrument's exported points into chart lines over fixed time buckets. Cumulative points become increments
/// (difference to the previous point of the same series; a reset starts over), summed across series:
/// counters as a rate per second, histograms as a rate plus mean and p95 (from the bucket counts), gauges and
/// up-down counters as their latest value.
/// </summary>
public static class MetricCharts
{
    public static IReadOnlyList<MetricChart> Build(IReadOnlyList<MetricPoint> points, DateTime fromUtc, DateTime toUtc, int bucketCount = 30)
    {
        if (points.Count == 0 || toUtc <= fromUtc) return [];
        var first = points[0];
        var width = (toUtc - fromUtc) / bucketCount;
        var ends = Enumerable.Range(1, bucketCount).Select(i => fromUtc + width * i).ToArray();
        int Bucket(DateTime t) => Math.Clamp((int)((t - fromUtc) / width), 0, bucketCount - 1);
        var (scale, unit) = DisplayUnit(first.Unit);

        if (first.Kind == MetricKind.Histogram)
        {
            var counts = new double[bucketCount];
            var sums = new double[bucketCount];
            var buckets = new long[bucketCount][];
            var bounds = first.Bounds ?? [];
            foreach (var inc in Increments(points, fromUtc))
            {
                var b = Bucket(inc.Time);
                counts[b] += inc.Count;
                sums[b] += inc.Value;
                if (inc.BucketCounts is { } bc && bc.Length == bounds.Length + 1)
                {
                    buckets[b] ??= new long[bc.Length];
                    for (var i = 0; i < bc.Length; i++) buckets[b][i] += bc[i];
                }
            }
            var seconds = width.TotalSeconds;
            return
            [
                new MetricChart(first.Name + " — rate", "/s", ends, [new MetricLine("count /s", [.. counts.Select(c => (double?)(c / seconds))])]),
                new MetricChart(first.Name + " — latency", unit, ends,
                [
                    new MetricLine("mean", [.. counts.Select((c, i) => c > 0 ? sums[i] / c * scale : (double?)null)]),
                    new MetricLine("p95", [.. buckets.Select(b => b is null ? (double?)null : Percentile(b, bounds, 0.95) * scale)]),
                ]),
            ];
        }

        if (first.Kind == MetricKind.Sum && first.IsMonotonic)
        {
            var totals = new double[bucketCount];
            foreach (var inc in Increments(points, fromUtc)) totals[Bucket(inc.Time)] += inc.Value;
            return [new MetricChart(first.Name + " — rate", unit + "/s", ends,
                [new MetricLine("per second", [.. totals.Select(t => (double?)(t / width.TotalSeconds * scale))])])];
        }

        // Gauges and up-down counters: the latest value of each series per bucket, carried forward, summed.
        var values = new double?[bucketCount];
        foreach (var series in points.GroupBy(p => p.Series))
        {
            double? last = null;
            var latest = new double?[bucketCount];
            foreach (var p in series.OrderBy(p => p.Time)) latest[Bucket(p.Time)] = p.Value;
            for (var i = 0; i < bucketCount; i++)
            {
                last = latest[i] ?? last;
                if (last is { } v) values[i] = (values[i] ?? 0) + v * scale;
            }
        }
        return [new MetricChart(first.Name, unit, ends, [new MetricLine("value", values)])];
    }

    /// <summary>Per-interval changes: delta points as they are; cumulative points minus their predecessor.</summary>
    private static IEnumerable<MetricPoint> Increments(IReadOnlyList<MetricPoint> points, DateTime fromUtc)
    {
        foreach (var series in points.GroupBy(p => p.Series))
        {
            MetricPoint? previous = null;
            foreach (var p in series.OrderBy(p => p.Time))
            {
                if (!p.Cumulative) yield return p;
                else if (previous is null || p.Start != previous.Start || p.Value < previous.Value || p.Count < previous.Count)
                {
                    // A series' first point counts whole only when the series started inside the window.
                    if (previous is not null || p.Start >= fromUtc) yield return p;
                }
                else
                {
                    yield return p with
                    {
                        Value = p.Value - previous.Value,
                        Count = p.Count - previous.Count,
                        BucketCounts = p.BucketCounts is { } now && previous.BucketCounts is { } before && now.Length == before.Length
                            ? [.. now.Select((c, i) => c - before[i])] : null,
                    };
                }
                previous = p;
            }
        }
    }

    /// <summary>Linear interpolation inside the bucket holding the quantile (the last, unbounded bucket reports its lower bound).</summary>
    public static double Percentile(long[] bucketCounts, double[] bounds, double quantile)
    {
        var total = bucketCounts.Sum();
        if (total == 0) return 0;
        var rank = quantile * total;
        long seen = 0;
        for (var i = 0; i < bucketCounts.Length; i++)
        {
            if (seen + bucketCounts[i] >= rank && bucketCounts[i] > 0)
            {
                if (i == bounds.Length) return bounds.Length > 0 ? bounds[^1] : 0;
                var lower = i == 0 ? 0 : bounds[i - 1];
                return lower + (bounds[i] - lower) * ((rank - seen) / bucketCounts[i]);
            }
            seen += bucketCounts[i];
        }
        return bounds.Length > 0 ? bounds[^1] : 0;
    }

    private static (double Scale, string Unit) DisplayUnit(string unit) => unit switch
    {
        "s" => (1000, "ms"),
        "By" => (1.0 / (1024 * 1024), "MiB"),
        "{request}" or "{requests}" => (1, "requests"),
        _ => (1, unit.Trim('{', '}')),
    };
}
