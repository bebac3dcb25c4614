using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.Tests.Pems;

/// <summary>CUPFA2 writes through the real PemsClient, checked back through GET and the grid.</summary>
public class SimulatorUdsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<GridRow> GridRowAsync(PemsClient client, string org, string pfaId)
    {
        var query = new GridQuery { Filters = [new() { AliasName = CupfagGrid.PfaId, Operator = "=", Value = pfaId }] };
        await foreach (var page in client.ReadGridPagesAsync(org, query, Ct)) return Assert.Single(page.Rows);
        throw new InvalidOperationException("no page");
    }

    private static async Task<string> FirstIdAsync(PemsClient client, string org)
    {
        var page = await client.ReadGridPageAsync(org, new GridQuery { PageSize = 1 }, 0, Ct);
        return page.Rows[0][CupfagGrid.PfaId]!;
    }

    [Fact]
    public async Task Get_returns_typed_values_that_match_the_grid()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var id = await FirstIdAsync(client, "RIO");
        var grid = await GridRowAsync(client, "RIO", id);

        var record = await client.GetRecordAsync("RIO", id, Ct);

        Assert.Equal(id, record.PfaId);
        Assert.Equal("RIO", record.Organization);
        Assert.Equal(DateOnly.Parse(grid["pfs_f_startdate"]!), record.GetDate("PFS_F_STARTDATE"));
        Assert.Equal(grid["pfs_f_source"], record.GetText("PFS_F_SOURCE"));
        Assert.Equal(grid["pfs_f_actualized"] == "Y", record.GetFlag("PFA_ACT"));
        Assert.Equal(grid[CupfagGrid.LastModified], GridQuery.FormatStamp(record.LastUpdated!.Value));
        Assert.True(record.Fields["PFS_F_STARTDATE"].DateTimeData!.Year > 1_000_000_000_000, "YEAR is sent as epoch millis");
    }

    [Fact]
    public async Task Update_reaches_the_grid_bumps_the_stamp_once_and_a_repeat_is_a_no_op()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var id = await FirstIdAsync(client, "RIO");
        var before = await client.GetRecordAsync("RIO", id, Ct);
        UdsFieldValuePair[] changes =
        [
            new("PFS_F_STARTDATE", UdsFieldValue.Date(new DateOnly(2026, 1, 1))),
            new("PFS_F_ENDDATE", UdsFieldValue.Date(new DateOnly(2026, 12, 31))),
            new("PFS_F_RATE", UdsFieldValue.Number(4321.75m)),
            new("PFS_F_SOURCE", UdsFieldValue.Text("Rental")),
            new("PFA_DIS", UdsFieldValue.Flag(true)),
        ];

        var after = await client.UpdateRecordAsync("RIO", id, changes, Ct);
        var again = await client.UpdateRecordAsync("RIO", id, changes, Ct);
        var grid = await GridRowAsync(client, "RIO", id);

        Assert.True(after.LastUpdated > before.LastUpdated);
        Assert.Equal(after.LastUpdated, again.LastUpdated);
        Assert.Equal("2026-01-01", grid["pfs_f_startdate"]);
        Assert.Equal("2026-12-31", grid["pfs_f_enddate"]);
        Assert.Equal("4321.75", grid["pfs_f_rental"]);
        Assert.Equal("RENTAL", grid["pfs_f_source"]);
        Assert.Equal("Y", grid["pfs_f_discontinued"]);
        Assert.Equal(SimulatorHost.User, grid["pfs_lastmodifiedby"]);
    }

    [Fact]
    public async Task Update_carrying_a_stale_stamp_is_refused_and_pems_value_survives()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var id = await FirstIdAsync(client, "RIO");
        var read = await client.GetRecordAsync("RIO", id, Ct);
        await client.UpdateRecordAsync("RIO", id, [new("PFS_F_RATE", UdsFieldValue.Number(999m))], Ct);

        var ex = await Assert.ThrowsAsync<PemsException>(() => client.UpdateRecordAsync("RIO", id,
            [new("PFS_F_RATE", UdsFieldValue.Number(1m)), new(Cupfa2Screen.LastUpdated, UdsFieldValue.Timestamp(read.LastUpdated!.Value))], Ct));

        Assert.Equal(PemsFailureKind.ErrorAlert, ex.Kind);
        Assert.Contains("updated by another user", ex.PemsMessage);
        Assert.Equal(999m, (await client.GetRecordAsync("RIO", id, Ct)).GetDecimal("PFS_F_RATE"));
    }

    [Fact]
    public async Task Invalid_value_is_an_error_alert_on_http_200_with_pems_message_and_is_not_retried()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var id = await FirstIdAsync(client, "RIO");
        sim.Attempts.Reset();

        var ex = await Assert.ThrowsAsync<PemsException>(() =>
            client.UpdateRecordAsync("RIO", id, [new("PFS_F_SOURCE", UdsFieldValue.Text("LEASE"))], Ct));

        Assert.Equal(PemsFailureKind.ErrorAlert, ex.Kind);
        Assert.Equal(System.Net.HttpStatusCode.OK, ex.StatusCode);
        Assert.Contains("LEASE", ex.PemsMessage);
        Assert.Contains(ex.PemsMessage!, ex.Message);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(1, sim.Attempts.Count);
    }

    [Fact]
    public async Task Add_then_delete_a_record()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();

        var added = await client.AddRecordAsync("PORTARTHUR",
        [
            new("DESCRIPTION", UdsFieldValue.Text("04120 MANLIFT BOOM 60FT JLG")),
            new("PFS_F_CATEGORY", UdsFieldValue.Text("04120")),
            new("PFS_F_STARTDATE", new UdsFieldValue { DateTimeData = new UdsDateTime { Year = 2024, Month = 5, Day = 2 } }),
        ], Ct);

        Assert.False(string.IsNullOrEmpty(added.PfaId));
        var grid = await GridRowAsync(client, "PORTARTHUR", added.PfaId!);
        Assert.Equal("2024-05-02", grid["pfs_f_startdate"]);
        Assert.Equal("RENTAL", grid["pfs_f_source"]);
        Assert.Equal(121, await client.CountGridAsync("PORTARTHUR", cancellationToken: Ct));

        await client.DeleteRecordAsync("PORTARTHUR", added.PfaId!, Ct);
        var ex = await Assert.ThrowsAsync<PemsException>(() => client.GetRecordAsync("PORTARTHUR", added.PfaId!, Ct));
        Assert.Contains("Record not found", ex.PemsMessage);
    }

    [Fact]
    public async Task Wrong_credentials_or_tenant_fail_at_once_as_unauthorized()
    {
        await using var sim = new SimulatorHost();

        var badPassword = await Assert.ThrowsAsync<PemsException>(() =>
            sim.CreatePemsClient(o => o.Password = "nope").GetOrganizationsAsync(Ct));
        var badTenant = await Assert.ThrowsAsync<PemsException>(() =>
            sim.CreatePemsClient(o => o.Tenant = "OTHER").GetOrganizationsAsync(Ct));

        Assert.Equal(PemsFailureKind.Unauthorized, badPassword.Kind);
        Assert.Contains("Authorization failed", badPassword.PemsMessage);
        Assert.Equal(1, badPassword.Attempts);
        Assert.Equal(PemsFailureKind.Unauthorized, badTenant.Kind);
        Assert.DoesNotContain("nope", badPassword.Message);
    }
}
