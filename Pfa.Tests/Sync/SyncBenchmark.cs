using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>
/// Opt-in measurement (PFA_BENCH=1), never part of the normal run and never asserting timings: a first full sync, a
/// no-change full reconciliation and a no-change incremental run of 20,000 lines, printed to the test output and /tmp/pfa-sync-bench.txt.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncBenchmark(InfrastructureFixture infra)
{
    [Fact]
    public async Task Measure()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("PFA_BENCH") == "1", "Set PFA_BENCH=1 to run the sync measurement.");
        const int records = 20_000;
        await using var h = await SyncHarness.CreateAsync(infra, records);
        var runner = new SyncRunner(h.Db, h.Simulator.CreatePemsClient(), new PemsRowNormalizer(PemsFieldMapping.Default),
            Options.Create(new SyncOptions { PageSize = 10_000 }), new SyncEvents(NullLogger<SyncEvents>.Instance), NullLogger<SyncRunner>.Instance);
        var lines = new List<string>();
        async Task Run(string label, SyncKind kind)
        {
            var sw = Stopwatch.StartNew();
            var r = await h.RunAsync(kind, runner);
            sw.Stop();
            var line = $"{label}: fetched {r.Fetched}, inserted {r.Inserted}, updated {r.Updated}, unchanged {r.Unchanged} in {sw.ElapsedMilliseconds} ms = {r.Fetched / Math.Max(sw.Elapsed.TotalSeconds, 0.001):N0} rows/s";
            lines.Add(line);
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }
        await Run("warm-up (JIT, simulator seed)", SyncKind.Full);
        await using (var wipe = h.Db.CreateCommand("DELETE FROM pfa_mirror WHERE organization_id = @org"))
        {
            wipe.Parameters.AddWithValue("org", h.OrgId);
            await wipe.ExecuteNonQueryAsync(Http.Ct);
        }
        await Run($"first full sync of {records:N0}", SyncKind.Full);
        await Run("full reconciliation, no change", SyncKind.Full);
        await h.AdminAsync("mutate", 200, seed: 5);
        await Run("incremental after 200 PEMS edits", SyncKind.Incremental);
        // The same PEMS read and normalisation without any database write, to see which side the time goes to.
        var read = Stopwatch.StartNew();
        var normalizer = new PemsRowNormalizer(PemsFieldMapping.Default);
        var n = 0;
        await foreach (var page in h.Simulator.CreatePemsClient().ReadGridPagesAsync(h.Code, new Pfa.Pems.Grid.GridQuery { KeysetPaging = true, PageSize = 10_000 }, Http.Ct))
            foreach (var row in page.Rows) { _ = MirrorRecord.From(normalizer.Normalize(row)); n++; }
        lines.Add($"PEMS read + normalise + hash only, {n:N0} rows: {read.ElapsedMilliseconds} ms");
        TestContext.Current.TestOutputHelper?.WriteLine(lines[^1]);
        await File.WriteAllLinesAsync("/tmp/pfa-sync-bench.txt", lines, Http.Ct);
    }
}
