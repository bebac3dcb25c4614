using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>A PEMS edit to a field a committed delta touches makes that delta a conflict; nothing else does.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncConflictTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task A_PEMS_change_to_a_touched_field_turns_the_committed_delta_into_a_conflict_and_stops_its_write_back()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        var runner = h.Runner();
        await h.RunAsync(runner: runner);
        var user = await h.Api.CreateUserAsync(ApiHost.Unique("syncpm").ToLowerInvariant(), (h.OrgId, "PortfolioManager"));
        var lines = await h.ListAsync("SELECT id, pfa_id, (data->>'monthlyRate')::numeric FROM pfa_mirror WHERE organization_id = @org AND NOT is_discontinued ORDER BY pfa_id LIMIT 3",
            r => (Id: r.GetInt64(0), PfaId: r.GetString(1), Rate: r.GetDecimal(2)));
        var (sameField, otherField, draft) = (lines[0], lines[1], lines[2]);
        // Saved and committed through PfaStore as the API does; the third stays a draft (another session, not committed).
        var rateDelta = await h.SaveDraftAsync(user, sameField.PfaId, $$"""{"monthlyRate": {{sameField.Rate + 5m}}}""", "commit");
        var endDelta = await h.SaveDraftAsync(user, otherField.PfaId, """{"forecastEnd": "2031-01-01"}""", "commit");
        var draftDelta = await h.SaveDraftAsync(user, draft.PfaId, $$"""{"monthlyRate": {{draft.Rate + 5m}}}""", "later");
        Assert.Equal(2, (await h.CommitAsync(user, "commit")).Committed);

        // Edits made in PEMS meanwhile: the rate of all three lines.
        var pems = h.Simulator.CreatePemsClient();
        var write = PemsWriteMapping.Default;
        foreach (var line in lines)
            await pems.UpdateRecordAsync(h.Code, line.PfaId, write.ToUds(new Dictionary<string, object?> { ["monthlyRate"] = line.Rate + 111m }), Http.Ct);

        var result = await h.RunAsync(runner: runner);

        Assert.Equal((3, 1), (result.Updated, result.Conflicts));
        var states = await h.ListAsync("SELECT id, state, coalesce(array_to_string(conflict_fields, ','), '') FROM pfa_modification WHERE organization_id = @org",
            r => (r.GetGuid(0), r.GetString(1), r.GetString(2)));
        Assert.Contains((rateDelta, "conflict", "monthlyRate"), states);
        Assert.Contains((endDelta, "committed", ""), states);
        Assert.Contains((draftDelta, "draft", ""), states);
        var outbox = await h.ListAsync("SELECT modification_id, status FROM pfa_outbox WHERE organization_id = @org", r => (r.GetGuid(0), r.GetString(1)));
        Assert.Contains((rateDelta, "failed"), outbox);
        Assert.Contains((endDelta, "pending"), outbox);
    }
}
