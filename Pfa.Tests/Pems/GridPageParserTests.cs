using System.Text;
using Pfa.Pems;
using Pfa.Pems.Grid;

namespace Pfa.Tests.Pems;

public class GridPageParserTests
{
    // Spec shape: FIELDS with aliasnum, rows as D:[{n,value}] where n is the alias number; values of mixed JSON types.
    private const string SpecPage = """
        {"Result":{"ResultData":{"GRID":{
          "METADATA":{"RECORDS":"2","MORERECORDPRESENT":"+","CURRENTCURSORPOSITION":"2","GRIDID":"100541","GRIDNAME":"CUPFAG"},
          "FIELDS":{"FIELD":[{"name":"pfs_id","label":"PFA ID","type":"VARCHAR","aliasnum":"1","order":"0"},
                             {"name":"pfs_f_rental","label":"Rental Rate","type":"CURRENCY","aliasnum":"2","order":"1"},
                             {"name":"pfs_f_source","label":"Source","type":"VARCHAR","aliasnum":"3","order":"2"}]},
          "DATA":{"ROW":[{"id":"1","D":[{"n":"1","value":"78497"},{"n":"2","value":1250.5},{"n":"3","value":"RENTAL"}]},
                         {"id":"2","D":[{"value":"83772","n":"1"},{"n":"2","value":null},{"n":"pfs_f_source","value":"PURCHASE"}]}]},
          "TOTAL-COUNT":"5"}}},
         "ErrorAlert":[]}
        """;

    private static async Task<(GridPageInfo Info, List<GridRow> Rows)> ParseAsync(Stream stream)
    {
        var info = new GridPageInfo();
        var rows = new List<GridRow>();
        await foreach (var row in GridPageParser.ParseAsync(stream, info, TestContext.Current.CancellationToken)) rows.Add(row);
        return (info, rows);
    }

    private static Stream Utf8(string s) => new MemoryStream(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task Spec_shape_rows_resolve_alias_numbers_to_column_names()
    {
        var (info, rows) = await ParseAsync(Utf8(SpecPage));

        Assert.Equal(["pfs_id", "pfs_f_rental", "pfs_f_source"], info.Fields.Select(f => f.Name));
        Assert.True(info.MoreRecordsPresent);
        Assert.Equal(2, info.CurrentCursorPosition);
        Assert.Equal(5, info.TotalCount);
        Assert.Empty(info.ErrorAlerts);
        Assert.Equal(2, rows.Count);
        Assert.Equal("78497", rows[0]["pfs_id"]);
        Assert.Equal("1250.5", rows[0]["pfs_f_rental"]);
        Assert.Equal("RENTAL", rows[0]["pfs_f_source"]);
        Assert.Equal("83772", rows[1]["pfs_id"]);
        Assert.Null(rows[1]["pfs_f_rental"]);
        Assert.Equal("PURCHASE", rows[1]["pfs_f_source"]);
    }

    [Fact]
    public async Task Legacy_cell_shape_is_read_too()
    {
        const string json = """{"Result":{"ResultData":{"GRID":{"DATA":{"ROW":[{"CELL":[{"ALIAS_NAME":"pfs_id","VALUE":"1"},{"ALIAS_NAME":"pfs_a_org","VALUE":"RIO"}]}]}}}}}""";
        var (_, rows) = await ParseAsync(Utf8(json));
        var row = Assert.Single(rows);
        Assert.Equal("RIO", row["pfs_a_org"]);
    }

    [Fact]
    public async Task Byte_by_byte_stream_gives_the_same_rows_as_one_buffer()
    {
        var (_, whole) = await ParseAsync(Utf8(SpecPage));
        var (info, trickled) = await ParseAsync(new TrickleStream(Encoding.UTF8.GetBytes(SpecPage)));

        Assert.Equal(whole.Select(r => r.Cells.OrderBy(c => c.Key)), trickled.Select(r => r.Cells.OrderBy(c => c.Key)));
        Assert.Equal(5, info.TotalCount);
    }

    [Fact]
    public async Task Error_alert_on_http_200_is_surfaced()
    {
        const string json = """{"Result":null,"ErrorAlert":[{"Name":"ERROR","Message":"Grid CUPFAX does not exist."}]}""";
        var (info, rows) = await ParseAsync(Utf8(json));
        Assert.Empty(rows);
        Assert.Equal("Grid CUPFAX does not exist.", Assert.Single(info.ErrorAlerts).Message);
    }

    [Fact]
    public async Task Every_truncation_of_a_page_is_reported_as_malformed_never_as_a_short_page()
    {
        var bytes = Encoding.UTF8.GetBytes(SpecPage.Trim());
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var ex = await Assert.ThrowsAsync<PemsException>(() => ParseAsync(new MemoryStream(bytes, 0, cut)));
            Assert.Equal(PemsFailureKind.MalformedResponse, ex.Kind);
        }
    }

    [Theory]
    [InlineData("""{"Result":{"ResultData":<html><body>Proxy Error</body></html>""")]
    [InlineData("""<html>502 Bad Gateway</html>""")]
    [InlineData("""{"Result":{}} trailing""")]
    [InlineData("""[1,2,3]""")]
    public async Task Garbage_is_malformed(string body)
    {
        var ex = await Assert.ThrowsAsync<PemsException>(() => ParseAsync(Utf8(body)));
        Assert.Equal(PemsFailureKind.MalformedResponse, ex.Kind);
        Assert.False(ex.Kind == PemsFailureKind.ErrorAlert);
    }

    /// <summary>Hands out one byte per read, so every token straddles a buffer refill.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
