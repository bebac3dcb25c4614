using Pfa.Web.Api;
using Pfa.Web.Components.Plan;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

public sealed class ClientLogicTests
{
    [Fact]
    public void Api_field_errors_name_fields_as_the_grid_header_does()
    {
        var e = new PfaApiException(400, "One or more validation errors occurred.", new Dictionary<string, string[]>
        {
            ["forecastEnd"] = ["Must be on or after the start."], ["changes.monthlyRate"] = ["Must not be negative."], ["groupBy"] = ["One of: source."],
        });
        var text = e.Describe();
        Assert.Contains("Forecast end: Must be on or after the start.", text);
        Assert.Contains("Rate / month: Must not be negative.", text);
        Assert.Contains("groupBy: One of: source.", text); // not a grid field: left as sent
        Assert.DoesNotContain("forecastEnd", text);
    }

    [Fact]
    public void Query_string_repeats_multi_value_filters_and_escapes()
    {
        var q = new GridQuery
        {
            Class = ["CRANE", "TRUCK"], AreaSilo = ["NORTH & EAST"], Source = ["Rental"], Status = ["forecast"],
            ForecastStartFrom = new DateOnly(2027, 1, 1), ForecastStartTo = new DateOnly(2027, 12, 31), Search = " pump ", ChangedOnly = true,
            Sort = "forecastStart", Desc = true,
        };
        Assert.Equal(
            "class=CRANE&class=TRUCK&source=Rental&areaSilo=NORTH%20%26%20EAST&status=forecast&forecastStartFrom=2027-01-01&forecastStartTo=2027-12-31" +
            "&search=pump&changedOnly=true&sort=forecastStart&desc=true&limit=200&cursor=abc%3D",
            q.ToQueryString("abc=", 200));
        Assert.Equal(8, q.ActiveFilterCount);
        var bulk = q.ToBulkFilter();
        Assert.Equal(["CRANE", "TRUCK"], bulk.Class!);
        Assert.Null(bulk.Category);
        Assert.Equal("pump", bulk.Search);
        Assert.True(bulk.ChangedOnly);
    }

    [Fact]
    public void Default_query_sorts_by_pfa_id_only()
    {
        Assert.Equal("sort=pfaId&limit=100", new GridQuery().ToQueryString(null, 100));
        Assert.Equal(0, new GridQuery().ActiveFilterCount);
    }

    [Theory]
    [InlineData(null, "pfaId")]
    [InlineData("Record.ForecastStart", "forecastStart")]
    [InlineData("AreaSilo", "areaSilo")]
    [InlineData("Record.Description", "pfaId")]
    public void Grid_columns_map_to_api_sort_keys(string? property, string expected) => Assert.Equal(expected, PlanBoard.SortField(property));

    [Fact]
    public async Task Keyset_window_keeps_the_first_page_total_when_cursor_pages_carry_none()
    {
        var window = new KeysetWindow<int>((cursor, limit, _) =>
        {
            var from = cursor is null ? 0 : int.Parse(cursor);
            return Task.FromResult(((IReadOnlyList<int>)Enumerable.Range(from, limit).ToList(), (string?)(from + limit).ToString(),
                cursor is null ? 5_000L : (long?)null));
        }, pageSize: 100, maxPageSize: 100);
        Assert.Equal(5_000, (await window.GetRangeAsync(0, 30, TestContext.Current.CancellationToken)).Total);
        var (rows, total) = await window.GetRangeAsync(250, 30, TestContext.Current.CancellationToken); // two cursor pages, no total
        Assert.Equal(Enumerable.Range(250, 30), rows);
        Assert.Equal(5_000, total);
    }

    [Fact]
    public async Task Keyset_window_fetches_in_order_keeps_pages_and_stops_at_the_end()
    {
        var source = Enumerable.Range(0, 450).ToList();
        var calls = new List<(string? Cursor, int Limit)>();
        var window = new KeysetWindow<int>((cursor, limit, _) =>
        {
            calls.Add((cursor, limit));
            var from = cursor is null ? 0 : int.Parse(cursor);
            var items = source.Skip(from).Take(limit).ToList();
            var next = from + items.Count < source.Count ? (from + items.Count).ToString() : null;
            return Task.FromResult(((IReadOnlyList<int>)items, next, cursor is null ? 10_000L : (long?)null)); // an over-estimated total, first page only
        }, pageSize: 100, maxPageSize: 300);

        var (first, total) = await window.GetRangeAsync(0, 30, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, 30), first);
        Assert.Equal(10_000, total);
        Assert.Single(calls);

        await window.GetRangeAsync(50, 30, TestContext.Current.CancellationToken); // already loaded
        Assert.Single(calls);

        var (far, _) = await window.GetRangeAsync(400, 30, TestContext.Current.CancellationToken); // a jump: one larger page
        Assert.Equal(Enumerable.Range(400, 30), far);
        Assert.Equal([(null, 100), ("100", 300), ("400", 100)], calls);

        var (tail, exact) = await window.GetRangeAsync(440, 30, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(440, 10), tail);
        Assert.Equal(450, exact); // exhausted: the estimate gives way to the real count
        Assert.True(window.Exhausted);

        window.Reset();
        Assert.Equal(0, window.Loaded);
        await window.GetRangeAsync(0, 10, TestContext.Current.CancellationToken);
        Assert.Null(calls[^1].Cursor);
    }

    [Fact]
    public void Org_switcher_only_switches_to_memberships_and_remembers_filters_per_org()
    {
        var org = new OrgSession();
        org.Initialize([new Membership("RIO", "Rio", "Viewer", false, false), new Membership("PA", "Port Arthur", "PortfolioManager", true, true)]);
        Assert.Equal("RIO", org.Current!.Code);
        Assert.False(org.CanEdit);
        var changes = 0;
        org.Changed += () => changes++;

        Assert.False(org.Switch("ELSEWHERE"));
        Assert.Equal("RIO", org.Current.Code);
        Assert.True(org.Switch("pa"));
        Assert.True(org.CanEdit && org.CanCommit);
        Assert.Equal(1, changes);

        org.RememberFilter("PA", new GridQuery { Search = "crane" });
        Assert.Equal("crane", org.FilterFor("PA").Search);
        Assert.Null(org.FilterFor("RIO").Search);
    }

    [Fact]
    public void Row_comparer_matches_lines_by_pfa_id()
    {
        var a = new PfaRow("P1", "none", [], new Pfa.Domain.PfaRecord { PfaId = "P1" });
        var b = a with { ChangedFields = ["forecastStart"] };
        Assert.True(PfaRowComparer.Instance.Equals(a, b));
        Assert.True(b.IsChanged("ForecastStart"));
    }
}
