using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Pfa.Api.Infrastructure;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Benchmarks;

public sealed record BenchOrg(Guid Id, string Code, IReadOnlyList<BenchUser> Users);
public sealed record BenchUser(Guid Id, string Username, int Index);

/// <summary>
/// The synthetic data set: organizations, users (Admin in one organization each), mirror lines and open draft deltas,
/// written with binary COPY. Values are a deterministic function of the line number, so the workloads can pick
/// lines and expected selectivities without reading them back.
/// </summary>
public sealed class DataSet(BenchmarkOptions options)
{
    public const string Password = "bench-Password-1!";
    public List<BenchOrg> Organizations { get; } = [];

    public static string PfaId(int line) => line.ToString("D7");

    public static PfaRecord Line(int g)
    {
        var start = new DateOnly(2025, 1, 1);
        var actualized = g % 11 == 0;
        return new PfaRecord
        {
            PfaId = PfaId(g), Description = $"Line {g}", AreaSilo = $"SILO-{g % 20}",
            Class = (g % 60).ToString("D2"), Category = (g % 60).ToString("D2") + (g % 7).ToString("D3"),
            Source = g % 9 == 0 ? PfaSource.Purchase : PfaSource.Rental, Dor = g % 3 == 0 ? Dor.BEO : Dor.PROJECT,
            IsActualized = actualized, HasActuals = actualized, IsDiscontinued = g % 50 == 0, IsFundsTransferable = g % 97 == 0,
            MonthlyRate = 500 + g % 4000, PurchasePrice = 10000 + g % 90000, Manufacturer = $"MAKER{g % 40}", Model = $"M{g % 300}",
            OriginalStart = start.AddDays(g % 365), OriginalEnd = start.AddDays(59 + g % 365),
            ForecastStart = start.AddDays(g % 400), ForecastEnd = start.AddDays(90 + g % 400),
            ActualStart = actualized ? start.AddDays(4 + g % 365) : null, ActualEnd = actualized ? start.AddDays(63 + g % 365) : null,
            PemsVersion = "v1",
        };
    }

    /// <summary>The k-th delta of a user: a forecast shift, a category change (to the value the overlay filter asks for) or a rate.</summary>
    private static JsonObject DraftChanges(PfaRecord r, int k) => (k % 3) switch
    {
        0 => new JsonObject { ["forecastStart"] = r.ForecastStart!.Value.AddDays(14).ToString("yyyy-MM-dd"), ["forecastEnd"] = r.ForecastEnd!.Value.AddDays(14).ToString("yyyy-MM-dd") },
        1 => new JsonObject { ["category"] = BenchmarkHarness.OverlayCategory },
        _ => new JsonObject { ["monthlyRate"] = r.MonthlyRate + 100 },
    };

    /// <summary>Lines of one user's preloaded deltas, spread over the organization and distinct per user.</summary>
    public IEnumerable<int> DeltaLines(int userIndex)
    {
        var perOrg = options.UsersPerOrganization * options.DeltasPerUser;
        var spread = Math.Max(1, options.RecordsPerOrganization / Math.Max(1, perOrg));
        return Enumerable.Range(0, options.DeltasPerUser).Select(k => 1 + (k * options.UsersPerOrganization + userIndex) * spread);
    }

    public async Task LoadAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var passwordHash = Pfa.Data.Passwords.Hash(Password); // PBKDF2 once; every user shares it
        for (var o = 0; o < options.Organizations; o++)
        {
            var org = new BenchOrg(Guid.NewGuid(), $"BENCH{o:D2}",
                Enumerable.Range(0, options.UsersPerOrganization).Select(u => new BenchUser(Guid.NewGuid(), $"bench{o:D2}u{u:D3}", u)).ToList());
            Organizations.Add(org);
        }
        await using (var c = await db.OpenConnectionAsync(ct))
        {
            await using (var w = await c.BeginBinaryImportAsync("COPY organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var org in Organizations)
                {
                    await w.StartRowAsync(ct);
                    await w.WriteAsync(org.Id, ct); await w.WriteAsync(org.Code, ct); await w.WriteAsync(org.Code, ct);
                    await w.WriteAsync(true, ct); await w.WriteAsync(true, ct); await w.WriteAsync("active", ct); await w.WriteAsync(1L, ct);
                }
                await w.CompleteAsync(ct);
            }
            await using (var w = await c.BeginBinaryImportAsync("COPY users (id, username, display_name, password_hash, is_active, created_at) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var u in Organizations.SelectMany(o => o.Users))
                {
                    await w.StartRowAsync(ct);
                    await w.WriteAsync(u.Id, ct); await w.WriteAsync(u.Username, ct); await w.WriteAsync(u.Username, ct);
                    await w.WriteAsync(passwordHash, ct); await w.WriteAsync(true, ct); await w.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz, ct);
                }
                await w.CompleteAsync(ct);
            }
            await using (var w = await c.BeginBinaryImportAsync("COPY memberships (user_id, organization_id, role, draft_version) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var org in Organizations)
                    foreach (var u in org.Users)
                    {
                        await w.StartRowAsync(ct);
                        await w.WriteAsync(u.Id, ct); await w.WriteAsync(org.Id, ct); await w.WriteAsync("Admin", ct); await w.WriteAsync(0L, ct);
                    }
                await w.CompleteAsync(ct);
            }
            await LoadMirrorAsync(c, ct);
            await LoadDeltasAsync(c, ct);
        }
        // Statistics and the KPI summaries as the sync leaves them after a run.
        await using (var cmd = db.CreateCommand("VACUUM ANALYZE pfa_mirror")) { cmd.CommandTimeout = 0; await cmd.ExecuteNonQueryAsync(ct); }
        await using (var cmd = db.CreateCommand("VACUUM ANALYZE pfa_modification")) { cmd.CommandTimeout = 0; await cmd.ExecuteNonQueryAsync(ct); }
        await PfaStore.RefreshViewsAsync(db, ct);
    }

    private async Task LoadMirrorAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var w = await c.BeginBinaryImportAsync(
            "COPY pfa_mirror (organization_id, pfa_id, data, pems_version, content_hash, mirror_version, last_synced_at) FROM STDIN (FORMAT BINARY)", ct);
        w.Timeout = TimeSpan.FromHours(1);
        var now = DateTimeOffset.UtcNow;
        foreach (var org in Organizations)
            for (var g = 1; g <= options.RecordsPerOrganization; g++)
            {
                var r = Line(g);
                var json = JsonSerializer.Serialize(r, PfaJson.Options);
                await w.StartRowAsync(ct);
                await w.WriteAsync(org.Id, ct);
                await w.WriteAsync(r.PfaId, ct);
                await w.WriteAsync(json, NpgsqlDbType.Jsonb, ct);
                await w.WriteAsync(r.PemsVersion, ct);
                await w.WriteAsync(SHA256.HashData(Encoding.UTF8.GetBytes(json)), ct);
                await w.WriteAsync(1, ct);
                await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            }
        await w.CompleteAsync(ct);
    }

    /// <summary>COPY into a staging table keyed by PFA id, then one set-based insert that resolves mirror ids.</summary>
    private async Task LoadDeltasAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using (var cmd = new NpgsqlCommand("CREATE TEMP TABLE delta_stage (organization_id uuid, user_id uuid, pfa_id text, changes jsonb, base_values jsonb)", c))
            await cmd.ExecuteNonQueryAsync(ct);
        await using (var w = await c.BeginBinaryImportAsync("COPY delta_stage FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var org in Organizations)
                foreach (var u in org.Users)
                {
                    var k = 0;
                    foreach (var line in DeltaLines(u.Index))
                    {
                        var r = Line(line);
                        var changes = DraftChanges(r, k++);
                        var data = PfaJson.ToJson(r);
                        var baseValues = new JsonObject();
                        foreach (var (key, _) in changes) baseValues[key] = data[key]?.DeepClone();
                        await w.StartRowAsync(ct);
                        await w.WriteAsync(org.Id, ct); await w.WriteAsync(u.Id, ct); await w.WriteAsync(r.PfaId, ct);
                        await w.WriteAsync(changes.ToJsonString(), NpgsqlDbType.Jsonb, ct);
                        await w.WriteAsync(baseValues.ToJsonString(), NpgsqlDbType.Jsonb, ct);
                    }
                }
            await w.CompleteAsync(ct);
        }
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO pfa_modification (id, organization_id, mirror_id, user_id, changes, base_values, base_mirror_version, base_pems_version,
                                          state, created_at, updated_at, attempts)
            SELECT gen_random_uuid(), s.organization_id, m.id, s.user_id, s.changes, s.base_values, m.mirror_version, m.pems_version, 'draft', now(), now(), 0
            FROM delta_stage s JOIN pfa_mirror m ON m.organization_id = s.organization_id AND m.pfa_id = s.pfa_id;
            DROP TABLE delta_stage;
            """, c) { CommandTimeout = 0 })
            await cmd.ExecuteNonQueryAsync(ct);
    }
}
