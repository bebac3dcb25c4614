using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>
/// The schedule a system admin sets on an organization (organizations.sync_interval_minutes) wins over configuration in the
/// worker's scheduler and in the API's "next run"; only organizations in service are scheduled.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncScheduleTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task The_organizations_own_interval_wins_and_only_active_service_is_scheduled()
    {
        await using var h = await SyncHarness.CreateAsync(infra, records: 20);
        await h.RunAsync();
        var options = new SyncOptions { Interval = TimeSpan.FromMinutes(15) };
        async Task<bool> DueAfterAsync(int minutes) =>
            (await SyncScheduler.DueOrganizationsAsync(h.Db, options, DateTimeOffset.UtcNow.AddMinutes(minutes), Http.Ct)).Any(d => d.Id == h.OrgId);

        Assert.True(await DueAfterAsync(16)); // configuration: 15 minutes

        await h.ScalarAsync<int>("UPDATE organizations SET sync_interval_minutes = 60 WHERE id = @org RETURNING 0");
        Assert.False(await DueAfterAsync(16));
        Assert.True(await DueAfterAsync(61));

        var admin = ApiHost.Unique("schedadmin").ToLowerInvariant();
        await h.Api.CreateUserAsync(admin, (h.OrgId, "Admin"));
        using var client = await h.Api.LoginAsync(admin);
        var status = await (await client.GetAsync($"/api/orgs/{h.Code}/sync", Http.Ct)).JsonAsync();
        var lastStart = status["history"]![0]!["startedAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(lastStart.AddMinutes(60), status["nextRunAt"]!.GetValue<DateTimeOffset>());

        await h.ScalarAsync<int>("UPDATE organizations SET service_status = 'suspended' WHERE id = @org RETURNING 0");
        Assert.False(await DueAfterAsync(61));
        status = await (await client.GetAsync($"/api/orgs/{h.Code}/sync", Http.Ct)).JsonAsync();
        Assert.Null(status["nextRunAt"]);
    }

    [Fact]
    public void Interval_precedence_organization_then_per_code_configuration_then_default()
    {
        var options = new SyncOptions { Interval = TimeSpan.FromMinutes(15) };
        options.Organizations["RIO"] = new OrganizationSyncOptions { Interval = TimeSpan.FromMinutes(5) };
        Assert.Equal(TimeSpan.FromMinutes(60), options.IntervalFor("RIO", organizationMinutes: 60));
        Assert.Equal(TimeSpan.FromMinutes(5), options.IntervalFor("RIO", organizationMinutes: null));
        Assert.Equal(TimeSpan.FromMinutes(15), options.IntervalFor("HOLNG", organizationMinutes: null));
    }
}
