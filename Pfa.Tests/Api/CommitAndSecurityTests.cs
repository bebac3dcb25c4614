using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Pfa.Data;
using Pfa.Data.Queries;
using Pfa.Domain;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

[Collection(InfrastructureCollection.Name)]
public sealed class CommitAndSecurityTests(InfrastructureFixture infra) : IAsyncLifetime
{
    private ApiHost _host = null!;
    private string _org = "", _otherOrg = "";
    private Guid _orgId, _otherOrgId, _pmId, _strangerId;
    private HttpClient _pm = null!, _editor = null!, _stranger = null!;

    public async ValueTask InitializeAsync()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("C");
        _otherOrg = ApiHost.Unique("X");
        _orgId = await _host.CreateOrgAsync(_org);
        _otherOrgId = await _host.CreateOrgAsync(_otherOrg);
        var pm = ApiHost.Unique("pm").ToLowerInvariant(); var ed = ApiHost.Unique("ed").ToLowerInvariant(); var st = ApiHost.Unique("st").ToLowerInvariant();
        _pmId = await _host.CreateUserAsync(pm, (_orgId, "PortfolioManager"));
        await _host.CreateUserAsync(ed, (_orgId, "Editor"));
        _strangerId = await _host.CreateUserAsync(st, (_otherOrgId, "Admin"));
        await _host.UpsertMirrorAsync(_orgId, Enumerable.Range(1, 6).Select(i => Lines.Rental($"{2000 + i}")).ToArray());
        await _host.UpsertMirrorAsync(_otherOrgId, Lines.Rental("9001"));
        _pm = await _host.LoginAsync(pm);
        _editor = await _host.LoginAsync(ed);
        _stranger = await _host.LoginAsync(st);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task Draft(HttpClient c, string pfaId, object changes) =>
        Assert.Equal(1, (await (await c.PostAsJsonAsync($"/api/orgs/{_org}/drafts", new { items = new[] { new { pfaId, changes } } }, Http.Ct)).JsonAsync())["saved"]!.GetValue<int>());

    private Task PemsChanges(string pfaId, Func<PfaRecord, PfaRecord> change, PfaRecord? from = null) =>
        _host.UpsertMirrorAsync(_orgId, change(from ?? Lines.Rental(pfaId)));

    [Fact]
    public async Task Conflict_rule_compares_touched_fields_with_the_mirror_now()
    {
        // 2001: PEMS changed the same field → conflict.
        await Draft(_pm, "2001", new { forecastEnd = "2025-04-01" });
        await PemsChanges("2001", r => r with { ForecastEnd = Lines.D("2025-03-15"), PemsVersion = "v2" });
        // 2002: PEMS changed another field → no conflict.
        await Draft(_pm, "2002", new { forecastEnd = "2025-04-01" });
        await PemsChanges("2002", r => r with { MonthlyRate = 5000m, PemsVersion = "v2" });
        // 2003: the draft is three mirror versions old; only the middle version touched the field → still a conflict.
        await Draft(_pm, "2003", new { monthlyRate = 4000 });
        var v2 = Lines.Rental("2003") with { Description = "renamed", PemsVersion = "v2" };
        await PemsChanges("2003", r => r, v2);
        var v3 = v2 with { MonthlyRate = 3500m, PemsVersion = "v3" };
        await PemsChanges("2003", r => r, v3);
        await PemsChanges("2003", r => r with { Model = "D8T", PemsVersion = "v4" }, v3);
        // 2004: PEMS changed the field and changed it back → same value as the base, no conflict.
        await Draft(_pm, "2004", new { monthlyRate = 4000 });
        await PemsChanges("2004", r => r with { MonthlyRate = 1m, PemsVersion = "v2" });
        await PemsChanges("2004", r => r with { PemsVersion = "v3" });

        var detail = await (await _pm.GetAsync($"/api/orgs/{_org}/pfa/2001", Http.Ct)).JsonAsync();
        Assert.Equal(["forecastEnd"], detail["conflictFields"]!.AsArray().Select(x => x!.GetValue<string>()));

        var result = await (await _pm.PostAsJsonAsync($"/api/orgs/{_org}/commit", new { }, Http.Ct)).JsonAsync();
        Assert.Equal(2, result["committed"]!.GetValue<int>());
        var conflicts = result["conflictDetails"]!.AsArray().ToDictionary(c => c!["pfaId"]!.GetValue<string>(), c => c!["fields"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray());
        Assert.Equal(["2001", "2003"], conflicts.Keys.Order());
        Assert.Equal(["forecastEnd"], conflicts["2001"]);
        Assert.Equal(["monthlyRate"], conflicts["2003"]);

        await using var cmd = _host.Db.CreateCommand("SELECT pfa_id, payload->'changes'->>'forecastEnd' FROM pfa_outbox WHERE organization_id = $1 ORDER BY pfa_id");
        cmd.Parameters.AddWithValue(_orgId);
        await using var r = await cmd.ExecuteReaderAsync(Http.Ct);
        var outbox = new List<string>();
        while (await r.ReadAsync(Http.Ct)) outbox.Add(r.GetString(0));
        Assert.Equal(["2002", "2004"], outbox);
    }

    [Fact]
    public async Task Editors_cannot_commit()
    {
        var response = await _editor.PostAsJsonAsync($"/api/orgs/{_org}/commit", new { }, Http.Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Other_organizations_are_invisible_through_the_api()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _stranger.GetAsync($"/api/orgs/{_org}/pfa", Http.Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _stranger.GetAsync($"/api/orgs/{_org}/pfa/2005", Http.Ct)).StatusCode);
    }

    /// <summary>
    /// A forged query that skips every API check: the stranger's tenant session asks for the other org's rows by id.
    /// Row-level security must still return nothing, and must refuse writes into the other org.
    /// </summary>
    [Fact]
    public async Task Row_level_security_hides_other_tenants_even_from_forged_queries()
    {
        await Draft(_editor, "2006", new { dor = "BEO" });
        await using var ds = NpgsqlDataSource.Create(infra.PostgresConnectionString);
        await using (var s = await TenantSession.BeginAsync(ds, [_otherOrgId], _otherOrgId, _strangerId, Http.Ct))
        {
            await using var cmd = s.Command("SELECT (SELECT count(*) FROM pfa_mirror WHERE organization_id = @org), (SELECT count(*) FROM pfa_modification), (SELECT count(*) FROM pfa_mirror)");
            cmd.Parameters.AddWithValue("org", _orgId);
            await using (var r = await cmd.ExecuteReaderAsync(Http.Ct))
            {
                await r.ReadAsync(Http.Ct);
                Assert.Equal(0L, r.GetInt64(0));
                Assert.Equal(0L, r.GetInt64(1));
                Assert.Equal(1L, r.GetInt64(2)); // only its own org's single line
            }
            // Even the store's own SQL, pointed at the wrong org, finds nothing.
            var forged = await PfaStore.ListAsync(await Forge(ds), new PfaFilter(), "pfaId", false, 100, null, Http.Ct);
            Assert.Empty(forged.Items);
        }
        await using (var s = await TenantSession.BeginAsync(ds, [_otherOrgId], _otherOrgId, _strangerId, Http.Ct))
        {
            await using var insert = s.Command("INSERT INTO sync_log (organization_id, direction, kind, status, started_at, fetched, inserted, updated, unchanged, deleted, rejected) VALUES (@org, 'read', 'manual', 'requested', now(), 0, 0, 0, 0, 0, 0)");
            insert.Parameters.AddWithValue("org", _orgId);
            var e = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync(Http.Ct));
            Assert.Equal("42501", e.SqlState); // new row violates row-level security policy
        }
        // Another user of the same org does not see a colleague's drafts either.
        await using (var s = await TenantSession.BeginAsync(ds, [_orgId], _orgId, _pmId, Http.Ct))
        {
            await using var cmd = s.Command("SELECT count(*) FROM pfa_modification WHERE state = 'draft' AND user_id <> @me");
            cmd.Parameters.AddWithValue("me", _pmId);
            Assert.Equal(0L, await cmd.ExecuteScalarAsync(Http.Ct));
        }

        // The session claims org A as "current" but RLS only knows the stranger's real organizations.
        Task<TenantSession> Forge(NpgsqlDataSource d) => TenantSession.BeginAsync(d, [_otherOrgId], _orgId, _strangerId, Http.Ct);
    }
}
