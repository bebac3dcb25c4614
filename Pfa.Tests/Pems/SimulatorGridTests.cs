using System.Net.Http.Json;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;

namespace Pfa.Tests.Pems;

/// <summary>Grid reads through the real PemsClient against the in-process simulator: the wire format round-trips.</summary>
public class SimulatorGridTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<GridPage>> ReadAllAsync(PemsClient client, string org, GridQuery? query = null)
    {
        var pages = new List<GridPage>();
        await foreach (var page in client.ReadGridPagesAsync(org, query, Ct)) pages.Add(page);
        return pages;
    }

    [Fact]
    public async Task Organization_list_comes_from_the_organization_service()
    {
        await using var sim = new SimulatorHost();
        var orgs = await sim.CreatePemsClient().GetOrganizationsAsync(Ct);
        Assert.Equal(["RIO", "PORTARTHUR"], orgs.Select(o => o.Code));
    }

    [Fact]
    public async Task Cursor_paging_returns_every_record_of_the_organization_once_in_id_order()
    {
        await using var sim = new SimulatorHost().With("PemsSimulator:RecordsPerOrganization", "250");
        var client = sim.CreatePemsClient();

        var pages = await ReadAllAsync(client, "RIO", new GridQuery { PageSize = 100 });

        Assert.Equal([100, 100, 50], pages.Select(p => p.Rows.Count));
        Assert.All(pages, p => Assert.Equal(250, p.Info.TotalCount));
        Assert.Equal([true, true, false], pages.Select(p => p.Info.MoreRecordsPresent));
        var ids = pages.SelectMany(p => p.Rows).Select(r => r[CupfagGrid.PfaId]!).ToList();
        Assert.Equal(250, ids.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.All(pages.SelectMany(p => p.Rows), r => Assert.Equal("RIO", r[CupfagGrid.Organization]));
        Assert.Equal(73, pages[0].Info.Fields.Count);
        Assert.Equal(250, await client.CountGridAsync("RIO", cancellationToken: Ct));
    }

    [Fact]
    public async Task Every_seeded_row_normalises_cleanly_with_the_default_mapping()
    {
        await using var sim = new SimulatorHost();
        var normalizer = new PemsRowNormalizer(PemsFieldMapping.Default);
        var rows = (await ReadAllAsync(sim.CreatePemsClient(), "PORTARTHUR")).SelectMany(p => p.Rows).Select(normalizer.Normalize).ToList();

        Assert.Equal(120, rows.Count);
        Assert.All(rows, r => Assert.True(r.IsValid, string.Join("; ", r.Rejections)));
        Assert.All(rows, r => Assert.Contains(r.Get<string>(PfaFieldNames.Source), new[] { "Rental", "Purchase" }));
        Assert.All(rows, r => Assert.True(r.Get<DateOnly>(PfaFieldNames.ForecastStart) < r.Get<DateOnly>(PfaFieldNames.ForecastEnd)));
        Assert.Contains(rows, r => r.Get<bool>(PfaFieldNames.IsActualized));
        Assert.Contains(rows, r => r.Get<string>(PfaFieldNames.Dor) == "BEO");
    }

    [Fact]
    public async Task A_page_never_exceeds_the_simulator_cap_even_if_more_is_asked()
    {
        await using var sim = new SimulatorHost().With("PemsSimulator:MaxPageSize", "40");
        var pages = await ReadAllAsync(sim.CreatePemsClient(), "RIO", new GridQuery { PageSize = 100 });
        Assert.Equal([40, 40, 40], pages.Select(p => p.Rows.Count));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_data_and_another_seed_does_not()
    {
        await using var a = new SimulatorHost();
        await using var b = new SimulatorHost();
        await using var c = new SimulatorHost().With("PemsSimulator:Seed", "43");

        static async Task<string> Fingerprint(SimulatorHost sim) => string.Join("|",
            (await ReadAllAsync(sim.CreatePemsClient(), "RIO")).SelectMany(p => p.Rows)
                .Select(r => string.Join(",", r.Cells.OrderBy(x => x.Key).Select(x => x.Value))));

        var fa = await Fingerprint(a);
        Assert.Equal(fa, await Fingerprint(b));
        Assert.NotEqual(fa, await Fingerprint(c));
    }

    [Fact]
    public async Task Modified_since_returns_exactly_the_records_edited_in_pems()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        Assert.Empty((await ReadAllAsync(client, "RIO", new GridQuery { ModifiedSince = before })).SelectMany(p => p.Rows));

        using var admin = sim.CreateClient();
        var mutated = await (await admin.PostAsync("/admin/mutate?organization=RIO&count=7&seed=5", null, Ct))
            .Content.ReadFromJsonAsync<List<MutatedRecord>>(Ct);

        var changed = (await ReadAllAsync(client, "RIO", new GridQuery { ModifiedSince = before })).SelectMany(p => p.Rows).ToList();
        Assert.Equal(mutated!.Select(m => m.PfaId).Order(), changed.Select(r => r[CupfagGrid.PfaId]!).Order());
        Assert.Empty((await ReadAllAsync(client, "PORTARTHUR", new GridQuery { ModifiedSince = before })).SelectMany(p => p.Rows));
    }

    [Fact]
    public async Task Multi_addon_filters_honour_or_and_parentheses()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var all = (await ReadAllAsync(client, "RIO")).SelectMany(p => p.Rows).ToList();

        // (category = 01150 OR category = 08850) AND source = RENTAL
        var query = new GridQuery
        {
            Filters =
            [
                new() { AliasName = "pfs_f_category", Operator = "=", Value = "01150", LParen = "true", Joiner = "OR" },
                new() { AliasName = "pfs_f_category", Operator = "=", Value = "08850", RParen = "true", Joiner = "AND" },
                new() { AliasName = "pfs_f_source", Operator = "=", Value = "RENTAL" },
            ],
        };
        var filtered = (await ReadAllAsync(client, "RIO", query)).SelectMany(p => p.Rows).Select(r => r[CupfagGrid.PfaId]).ToList();
        var expected = all.Where(r => r["pfs_f_category"] is "01150" or "08850" && r["pfs_f_source"] == "RENTAL")
            .Select(r => r[CupfagGrid.PfaId]).ToList();

        Assert.NotEmpty(expected);
        Assert.True(expected.Count < all.Count);
        Assert.Equal(expected, filtered);
    }

    [Fact]
    public async Task Unknown_filter_alias_is_an_error_alert_with_pems_message_and_no_retry()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var query = new GridQuery { Filters = [new() { AliasName = "pfs_nope", Operator = "=", Value = "x" }] };

        var ex = await Assert.ThrowsAsync<PemsException>(() => ReadAllAsync(client, "RIO", query));

        Assert.Equal(PemsFailureKind.ErrorAlert, ex.Kind);
        Assert.Contains("pfs_nope", ex.PemsMessage);
        Assert.Equal(1, sim.Attempts.Count);
    }

    [Fact]
    public async Task Admin_delete_removes_records_from_the_grid()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        using var admin = sim.CreateClient();
        var deleted = await (await admin.PostAsync("/admin/delete?organization=PORTARTHUR&count=4&seed=1", null, Ct))
            .Content.ReadFromJsonAsync<List<MutatedRecord>>(Ct);

        var ids = (await ReadAllAsync(client, "PORTARTHUR")).SelectMany(p => p.Rows).Select(r => r[CupfagGrid.PfaId]).ToHashSet();
        Assert.Equal(116, ids.Count);
        Assert.All(deleted!, d => Assert.DoesNotContain(d.PfaId, ids));
    }

    [Fact]
    public async Task Full_ten_thousand_row_page_comes_through_the_wire_then_the_remainder()
    {
        await using var sim = new SimulatorHost()
            .Without("PemsSimulator:Organizations:1")
            .With("PemsSimulator:RecordsPerOrganization", "10001");
        var pages = await ReadAllAsync(sim.CreatePemsClient(o => o.PageSize = 50_000), "RIO");
        Assert.Equal([10_000, 1], pages.Select(p => p.Rows.Count));
    }

    public sealed record MutatedRecord(string Organization, string PfaId);
}

/// <summary>Why reconciliation should page by key: a deletion between pages shifts cursor offsets.</summary>
public class GridPagingUnderDeletionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(List<string> Seen, List<string> Remaining)> ReadWhileDeletingAsync(bool keyset)
    {
        await using var sim = new SimulatorHost().With("PemsSimulator:RecordsPerOrganization", "250");
        var client = sim.CreatePemsClient();
        var seen = new List<string>();
        var first = true;
        await foreach (var page in client.ReadGridPagesAsync("RIO", new GridQuery { PageSize = 100, KeysetPaging = keyset }, Ct))
        {
            seen.AddRange(page.Rows.Select(r => r[CupfagGrid.PfaId]!));
            if (first) await client.DeleteRecordAsync("RIO", seen[0], Ct); // A planner deletes a line PEMS already sent us.
            first = false;
        }
        var remaining = new List<string>();
        await foreach (var page in client.ReadGridPagesAsync("RIO", null, Ct)) remaining.AddRange(page.Rows.Select(r => r[CupfagGrid.PfaId]!));
        return (seen, remaining);
    }

    [Fact]
    public async Task Keyset_paging_sees_every_surviving_record_when_one_is_deleted_mid_read()
    {
        var (seen, remaining) = await ReadWhileDeletingAsync(keyset: true);
        Assert.Empty(remaining.Except(seen));
        Assert.Equal(250, seen.Distinct().Count());
    }

    [Fact]
    public async Task Cursor_paging_skips_a_surviving_record_when_one_is_deleted_mid_read()
    {
        var (seen, remaining) = await ReadWhileDeletingAsync(keyset: false);
        Assert.Single(remaining.Except(seen));
    }
}
