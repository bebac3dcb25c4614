using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pfa.Data;
using Pfa.Data.Queries;
using Pfa.Domain;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Pems;
using StackExchange.Redis;

namespace Pfa.Tests.Sync;

/// <summary>
/// One organization of its own (unique code) in the shared PostgreSQL, migrated by the API host as the Api tests do,
/// and an in-process simulator seeded for just that organization. The runner is the real one; PEMS is the simulator.
/// </summary>
public sealed class SyncHarness : IAsyncDisposable
{
    public const int Records = 240;
    public const int PageSize = 100;

    public SimulatorHost Simulator { get; }
    public ApiHost Api { get; }
    public NpgsqlDataSource Db => Api.Db;
    public string Code { get; }
    public Guid OrgId { get; private set; }

    private SyncHarness(InfrastructureFixture infra, string code, int records)
    {
        Api = ApiHost.For(infra);
        Code = code;
        Simulator = new SimulatorHost()
            .With("PemsSimulator:Organizations:0", code)
            .Without("PemsSimulator:Organizations:1")
            .With("PemsSimulator:RecordsPerOrganization", records.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static async Task<SyncHarness> CreateAsync(InfrastructureFixture infra, int records = Records, Action<SimulatorHost>? configure = null)
    {
        var h = new SyncHarness(infra, ApiHost.Unique("SY"), records);
        configure?.Invoke(h.Simulator);
        h.OrgId = await h.Api.CreateOrgAsync(h.Code);
        return h;
    }

    public SyncRunner Runner(PemsClient? client = null, PemsFieldMapping? mapping = null, IConnectionMultiplexer? redis = null) =>
        new(Db, client ?? Simulator.CreatePemsClient(), new PemsRowNormalizer(mapping ?? PemsFieldMapping.Default),
            Options.Create(new SyncOptions { PageSize = PageSize }), new SyncEvents(NullLogger<SyncEvents>.Instance, redis),
            NullLogger<SyncRunner>.Instance);

    public Task<SyncRunResult> RunAsync(SyncKind? kind = null, SyncRunner? runner = null) =>
        (runner ?? Runner()).RunAsync(OrgId, Code, kind, "test", Http.Ct);

    public async Task<List<string>> AdminAsync(string action, int count, int seed)
    {
        using var admin = Simulator.CreateClient();
        var response = await admin.PostAsync($"/admin/{action}?organization={Code}&count={count}&seed={seed}", null, Http.Ct);
        response.EnsureSuccessStatusCode();
        var list = (await response.Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!;
        return [.. list.Select(n => n!["pfaId"]!.GetValue<string>())];
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var cmd = Db.CreateCommand(sql);
        cmd.Parameters.AddWithValue("org", OrgId);
        return (T)(await cmd.ExecuteScalarAsync(Http.Ct))!;
    }

    public async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var cmd = Db.CreateCommand(sql);
        cmd.Parameters.AddWithValue("org", OrgId);
        await using var r = await cmd.ExecuteReaderAsync(Http.Ct);
        var list = new List<T>();
        while (await r.ReadAsync(Http.Ct)) list.Add(read(r));
        return list;
    }

    /// <summary>
    /// Saves a draft the way the API does (PfaStore with the domain's draft rules, in the user's tenant session) and returns
    /// the delta's id; <paramref name="session"/> lets a test commit some drafts and keep others.
    /// </summary>
    public async Task<Guid> SaveDraftAsync(Guid user, string pfaId, string changes, string? session = null)
    {
        await using var s = await TenantSession.BeginAsync(Db, [OrgId], OrgId, user, Http.Ct);
        var line = (await PfaStore.LoadDraftBasesAsync(s, [pfaId], Http.Ct))[pfaId];
        var check = DraftRules.Check(PfaJson.FromJson(line.Data), PfaJson.Overlay(line.Changes ?? [], JsonNode.Parse(changes)!.AsObject()));
        Assert.True(check.IsValid, string.Join("; ", check.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        await PfaStore.WriteDraftsAsync(s, [new DraftWrite(line.MirrorId, check.Changes, "test")], session, Http.Ct);
        await s.CommitAsync(Http.Ct);
        return await ScalarAsync<Guid>($"SELECT id FROM pfa_modification WHERE organization_id = @org AND mirror_id = {line.MirrorId} AND user_id = '{user}' AND state = 'draft'");
    }

    /// <summary>Commits the user's drafts (of one session, or all) through PfaStore's commit, as POST /commit does.</summary>
    public async Task<CommitResult> CommitAsync(Guid user, string? session = null)
    {
        await using var s = await TenantSession.BeginAsync(Db, [OrgId], OrgId, user, Http.Ct);
        var result = await PfaStore.CommitAsync(s, session, "test", Http.Ct);
        await s.CommitAsync(Http.Ct);
        return result;
    }

    /// <summary>One saved and committed delta; its id.</summary>
    public async Task<Guid> CommitDeltaAsync(Guid user, string pfaId, string changes)
    {
        var id = await SaveDraftAsync(user, pfaId, changes, session: pfaId);
        Assert.Equal(new CommitResult(1, 0, []).Committed, (await CommitAsync(user, session: pfaId)).Committed);
        return id;
    }

    public Task<long> OrgMirrorVersionAsync() => ScalarAsync<long>("SELECT mirror_version FROM organizations WHERE id = @org");

    public async ValueTask DisposeAsync() => await Simulator.DisposeAsync();
}
