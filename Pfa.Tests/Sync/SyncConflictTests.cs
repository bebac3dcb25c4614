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
        var rateDelta = await AddDeltaAsync(h, user, sameField.Id, sameField.PfaId, "committed", "monthlyRate");
        var endDelta = await AddDeltaAsync(h, user, otherField.Id, otherField.PfaId, "committed", "forecastEnd");
        var draftDelta = await AddDeltaAsync(h, user, draft.Id, draft.PfaId, "draft", "monthlyRate");

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

    private static async Task<Guid> AddDeltaAsync(SyncHarness h, Guid user, long mirrorId, string pfaId, string state, string field)
    {
        var id = Guid.NewGuid();
        await using var cmd = h.Db.CreateCommand("""
            WITH m AS (SELECT data, mirror_version, pems_version FROM pfa_mirror WHERE id = @mirror),
            d AS (
              INSERT INTO pfa_modification (id, organization_id, mirror_id, user_id, changes, base_values, base_mirror_version, base_pems_version,
                                            state, created_at, updated_at, committed_at, attempts)
              SELECT @id, @org, @mirror, @user, jsonb_build_object(@field, '"2031-01-01"'::jsonb), jsonb_build_object(@field, m.data -> @field),
                     m.mirror_version, m.pems_version, @state, now(), now(), CASE WHEN @state = 'committed' THEN now() END, 0
              FROM m RETURNING id
            )
            INSERT INTO pfa_outbox (organization_id, modification_id, mirror_id, pfa_id, payload, status, attempts, created_at)
            SELECT @org, d.id, @mirror, @pfa, '{}'::jsonb, 'pending', 0, now() FROM d WHERE @state = 'committed'
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("org", h.OrgId);
        cmd.Parameters.AddWithValue("mirror", mirrorId);
        cmd.Parameters.AddWithValue("user", user);
        cmd.Parameters.AddWithValue("field", field);
        cmd.Parameters.AddWithValue("state", state);
        cmd.Parameters.AddWithValue("pfa", pfaId);
        await cmd.ExecuteNonQueryAsync(Http.Ct);
        return id;
    }
}
