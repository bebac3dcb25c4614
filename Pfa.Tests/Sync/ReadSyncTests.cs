using System.Globalization;
using System.Text.Json.Nodes;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>The read sync end to end: simulator → PemsClient → SyncRunner → the real PostgreSQL mirror.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ReadSyncTests(InfrastructureFixture infra)
{
    /// <summary>PFA JSON key of each mapped field (the domain record calls the forecast category its category description).</summary>
    internal static string JsonKey(string target) => target switch
    {
        PfaFieldNames.ForecastCategory => "categoryDescription",
        PfaFieldNames.LastModified => "pemsVersion",
        _ => target,
    };

    [Fact]
    public async Task First_sync_is_a_full_read_and_every_mapped_field_arrives()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        var raw = new Dictionary<string, GridRow>();
        await foreach (var page in h.Simulator.CreatePemsClient().ReadGridPagesAsync(h.Code, new GridQuery { KeysetPaging = true }, Http.Ct))
            foreach (var row in page.Rows) raw[row[CupfagGrid.PfaId]!] = row;

        var result = await h.RunAsync();

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(SyncKind.Full, result.Kind);
        Assert.Equal((SyncHarness.Records, SyncHarness.Records, 0, 0, 0), (result.Fetched, result.Inserted, result.Updated, result.Deleted, result.Rejected));

        var mirror = await h.ListAsync("SELECT pfa_id, data::text, pems_version, mirror_version, monthly_rate, forecast_start, source, is_discontinued FROM pfa_mirror WHERE organization_id = @org",
            r => (Id: r.GetString(0), Data: JsonNode.Parse(r.GetString(1))!.AsObject(), Version: r.GetString(2), MirrorVersion: r.GetInt32(3),
                Rate: r.GetDecimal(4), ForecastStart: r.IsDBNull(5) ? (DateOnly?)null : r.GetFieldValue<DateOnly>(5), Source: r.GetString(6), Discontinued: r.GetBoolean(7)));
        Assert.Equal(raw.Keys.Order(), mirror.Select(m => m.Id).Order());

        var mapping = PemsFieldMapping.Default;
        var stored = StoredRules(mapping);
        var checkedValues = 0;
        foreach (var m in mirror)
        {
            var cells = raw[m.Id];
            foreach (var rule in stored)
            {
                var cell = cells[rule.Source];
                var value = m.Data[JsonKey(rule.Target)];
                var expected = Expected(rule, string.IsNullOrWhiteSpace(cell) ? rule.Default : cell, mapping);
                Assert.True(JsonNode.DeepEquals(expected, value), $"{m.Id} {rule.Target}: PEMS '{cell}' → expected {expected?.ToJsonString() ?? "null"}, mirror {value?.ToJsonString() ?? "null"}");
                checkedValues++;
            }
            Assert.Equal(cells[CupfagGrid.LastModified], m.Version);
            Assert.Equal(1, m.MirrorVersion);
            // Generated typed columns agree with the JSON the sync wrote.
            Assert.Equal(m.Data["monthlyRate"]!.GetValue<decimal>(), m.Rate);
            Assert.Equal(m.Data["source"]!.GetValue<string>(), m.Source);
            Assert.Equal(m.Data["isDiscontinued"]!.GetValue<bool>(), m.Discontinued);
            Assert.Equal(m.Data["forecastStart"]?.GetValue<string>(), m.ForecastStart?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }
        Assert.Equal(SyncHarness.Records * stored.Count, checkedValues);

        var log = await h.ListAsync("SELECT kind, status, fetched, inserted, updated, unchanged, deleted, rejected, duration_ms IS NOT NULL FROM sync_log WHERE organization_id = @org",
            r => (r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6), r.GetInt32(7), r.GetBoolean(8)));
        Assert.Equal([("full", "completed", SyncHarness.Records, SyncHarness.Records, 0, 0, 0, 0, true)], log);
        Assert.Equal(2, await h.OrgMirrorVersionAsync());
        Assert.Equal(SyncHarness.Records, await h.ScalarAsync<long>("SELECT coalesce(sum(line_count), 0)::bigint FROM pfa_kpi_groups WHERE organization_id = @org")
            + await h.ScalarAsync<long>("SELECT count(*) FROM pfa_mirror WHERE organization_id = @org AND (is_discontinued OR is_funds_transferable)"));
    }

    /// <summary>The value the mirror must hold for a raw PEMS cell, derived from the rule independently of the normaliser.</summary>
    /// <summary>The mapped fields the mirror keeps (organization, vendor and last-modified-by are read but not stored).</summary>
    internal static List<PemsFieldRule> StoredRules(PemsFieldMapping mapping) =>
        [.. mapping.Rules.Where(r => r.Target is not (PfaFieldNames.Organization or PfaFieldNames.VendorName or PfaFieldNames.LastModifiedBy))];

    internal static JsonNode? Expected(PemsFieldRule rule, string? cell, PemsFieldMapping mapping)
    {
        if (string.IsNullOrWhiteSpace(cell)) return rule.Conversion == PemsValueConversion.Flag ? JsonValue.Create(false) : rule.Conversion == PemsValueConversion.Decimal ? JsonValue.Create(0m) : null;
        cell = cell.Trim();
        return rule.Conversion switch
        {
            PemsValueConversion.Decimal => JsonValue.Create(decimal.Parse(cell, CultureInfo.InvariantCulture)),
            PemsValueConversion.Flag => JsonValue.Create(cell.ToUpperInvariant() is "Y" or "YES" or "TRUE" or "-1" or "1" or "+"),
            PemsValueConversion.Enum => JsonValue.Create(rule.ValueMap[cell]),
            PemsValueConversion.Date => JsonValue.Create(DateTime.ParseExact(cell, [.. mapping.DateFormats], CultureInfo.InvariantCulture).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(cell),
        };
    }
}
