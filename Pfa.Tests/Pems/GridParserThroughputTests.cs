using System.Diagnostics;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.PemsSimulator;

namespace Pfa.Tests.Pems;

/// <summary>A full 10,000-row, 73-column page as the simulator writes it, parsed by the streaming parser. Reports, never asserts, speed.</summary>
public class GridParserThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_row_page_parses_completely_and_normalises()
    {
        var ct = TestContext.Current.CancellationToken;
        var records = SeedGenerator.Generate(7, "RIO", 0, CupfagGrid.MaxPageSize).Cast<IReadOnlyDictionary<string, string?>>().ToList();
        using var body = new MemoryStream();
        await GridEngine.WriteAsync(body, new GridRequest(), records, 0, records.Count, includeFields: true, includeRows: true, ct);

        var normalizer = new PemsRowNormalizer(PemsFieldMapping.Default);
        var info = new GridPageInfo();
        var rows = 0;
        var valid = 0;
        body.Position = 0;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await foreach (var row in GridPageParser.ParseAsync(body, info, ct))
        {
            rows++;
            Assert.Equal(CupfagGrid.Columns.Count, row.Cells.Count);
            if (normalizer.Normalize(row).IsValid) valid++;
        }
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(10_000, rows);
        Assert.Equal(10_000, valid);
        Assert.Equal(10_000, info.TotalCount);
        Assert.False(info.MoreRecordsPresent);
        output.WriteLine($"page {body.Length / 1024.0 / 1024.0:F1} MiB, {rows} rows parsed+normalised in {clock.ElapsedMilliseconds} ms " +
                         $"= {rows / clock.Elapsed.TotalSeconds:N0} rows/s, {allocated / 1024.0 / 1024.0:F1} MiB allocated");
    }
}
