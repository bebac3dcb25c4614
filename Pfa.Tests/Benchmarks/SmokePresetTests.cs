using Pfa.Benchmarks;

namespace Pfa.Tests.Benchmarks;

/// <summary>
/// The benchmark harness cannot rot: its smoke preset runs in-process (own PostgreSQL, Redis and Kestrel API) and every
/// figure must be present and error-free. Structure only; no timing is asserted.
/// </summary>
public sealed class SmokePresetTests
{
    [Fact]
    public async Task Smoke_preset_measures_every_workload_without_errors()
    {
        var options = BenchmarkOptions.ForPreset("smoke");
        var log = new List<string>();
        var report = await BenchmarkHarness.RunAsync(options, log.Add, TestContext.Current.CancellationToken);

        Assert.True(report.Errors == 0, string.Join('\n', log));
        Assert.Equal(options.MirrorRecords, report.DataSet.MirrorRecords);
        Assert.Contains(report.Metrics, m => m.Name.StartsWith("storage per mirror record", StringComparison.Ordinal)
            && m.Note!.StartsWith($"{options.MirrorRecords:N0} rows", StringComparison.Ordinal));
        Assert.Contains(report.Metrics, m => m.Name.StartsWith("storage per delta row", StringComparison.Ordinal)
            && m.Note!.StartsWith($"{options.OpenDeltas:N0} rows", StringComparison.Ordinal));

        string[] latencies =
        [
            .. new[] { "first page", "deep keyset page (90%)", "selective filter (area + plan-start month)",
                       "filter on a draft-overlaid value (category)", "text search (merged manufacturer/model)" }
                .SelectMany(c => new[] { $"list {c}: HTTP API", $"list {c}: raw SQL floor" }),
            "KPI with my drafts, cold (cache miss)", "KPI with my drafts, warm (Redis hit)", "KPI group roll-up by category, cold",
            "timeline bounds with my drafts, cold", "draft save (1 line)", "bulk shift of 600 lines", "commit of 600 lines",
            "assistant answer-to-render: lines (category filter)", "assistant answer-to-render: totals by category",
        ];
        foreach (var name in latencies)
        {
            var m = Assert.Single(report.Metrics, m => m.Name == name);
            Assert.True(m.Samples > 0 && m.P50 > 0 && m.P95 >= m.P50 && m.P99 >= m.P95, $"{name}: {m}");
        }
        Assert.Equal(5, report.Metrics.Count(m => m.Name.EndsWith("API/raw p95 ratio", StringComparison.Ordinal) && m.Value > 0));
        foreach (var run in new[] { "no think time", "0.1 s think time" })
        {
            Assert.Single(report.Metrics, m => m.Name == $"{options.ConcurrentUsers} concurrent users, {run}" && m.Samples > 0);
            Assert.Single(report.Metrics, m => m.Name == $"{options.ConcurrentUsers} concurrent users, {run}: throughput" && m.Value > 0);
        }
        Assert.Equal(7, report.Plans.Count); // the five list pages, the search's own statement and the timeline bounds with drafts
        Assert.Single(report.Metrics, m => m.Name.StartsWith("peak memory", StringComparison.Ordinal) && m.Value > 0);

        // Sync from the simulator, end to end (the tiny version): every line inserted, the COPY floor of the same rows,
        // a no-change incremental run that writes nothing, and 1% changed lines updated (errors count any miss).
        var lines = options.SyncLines;
        Assert.Single(report.Metrics, m => m.Name == $"full sync of {lines:N0} lines, end to end" && m.Value > 0);
        Assert.Single(report.Metrics, m => m.Name == $"sync floor: binary COPY of {lines:N0} lines into pfa_mirror" && m.Value > 0);
        Assert.Single(report.Metrics, m => m.Name == "full sync: COPY floor / end-to-end time ratio" && m.Value > 0);
        Assert.Single(report.Metrics, m => m.Name == $"no-change full reconciliation of {lines:N0} lines: rows written" && m.Value is not null);
        Assert.Equal(0, Assert.Single(report.Metrics, m => m.Name == "no-change incremental sync: rows written").Value);
        Assert.Single(report.Metrics, m => m.Name == $"incremental sync, 1% changed ({lines / 100:N0} of {lines:N0} lines)" && m.Value > 0);
        // Backup of the whole benchmark database and its verified restore (an error would be counted above).
        Assert.Single(report.Metrics, m => m.Name == "backup: pg_dump + manifest of the whole database" && m.Value > 0);
        Assert.Single(report.Metrics, m => m.Name == "backup: dump file size" && m.Value > 0);
        Assert.Single(report.Metrics, m => m.Name == "restore: checksum + pg_restore + verification of every table" && m.Value > 0);
        Assert.DoesNotContain(report.Metrics, m => m.Pending);

        var json = System.Text.Json.Nodes.JsonNode.Parse(report.ToJson())!;
        Assert.Equal(report.Metrics.Count, json["metrics"]!.AsArray().Count);
        Assert.Contains("| metric |", report.ToMarkdown());
    }
}
