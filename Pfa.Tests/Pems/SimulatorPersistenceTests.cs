using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.Tests.Pems;

public sealed class SimulatorPersistenceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pfa-pems-sim-" + Guid.NewGuid().ToString("N"));
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SimulatorHost Host() => new SimulatorHost().With("PemsSimulator:DataDirectory", _dir);

    private static async Task<Dictionary<string, GridRow>> RowsAsync(PemsClient client, string org)
    {
        var rows = new Dictionary<string, GridRow>();
        await foreach (var page in client.ReadGridPagesAsync(org, null, Ct))
            foreach (var r in page.Rows) rows[r[CupfagGrid.PfaId]!] = r;
        return rows;
    }

    [Fact]
    public async Task Edits_and_deletions_survive_a_restart_and_a_torn_journal_line_is_ignored()
    {
        string updatedId, deletedId;
        await using (var first = Host())
        {
            var client = first.CreatePemsClient();
            var ids = (await RowsAsync(client, "RIO")).Keys.Order().ToList();
            (updatedId, deletedId) = (ids[0], ids[1]);
            await client.UpdateRecordAsync("RIO", updatedId, [new("PFS_F_RATE", UdsFieldValue.Number(777.25m))], Ct);
            await client.DeleteRecordAsync("RIO", deletedId, Ct);
        }

        // A crash mid-append leaves half a line; replay must keep the whole lines and drop the torn one.
        var journal = Assert.Single(Directory.GetFiles(_dir, "*.jsonl"));
        await File.AppendAllTextAsync(journal, "{\"Op\":\"put\",\"Org\":\"RIO\",\"Id\":", Ct);

        await using var second = Host();
        var rows = await RowsAsync(second.CreatePemsClient(), "RIO");
        Assert.Equal("777.25", rows[updatedId]["pfs_f_rental"]);
        Assert.DoesNotContain(deletedId, rows.Keys);
        Assert.Equal(119, rows.Count);

        // And the journal still accepts new edits after the repair.
        await second.CreatePemsClient().UpdateRecordAsync("RIO", updatedId, [new("PFS_F_RATE", UdsFieldValue.Number(1m))], Ct);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
