using Pfa.Domain;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.PemsSimulator;
using Pfa.SyncWorker;

namespace Pfa.Tests.Sync;

/// <summary>
/// The sync serialises a line straight to UTF-8; lines already in the mirror were hashed over PfaJson.ToJson(record) text.
/// If the two texts ever differed, the next full reconciliation would see every line as changed and rewrite the organization.
/// </summary>
public sealed class MirrorRecordTests
{
    [Fact]
    public void Stored_text_and_hash_match_the_PfaJson_form_for_seeded_and_awkward_lines()
    {
        var normalizer = new PemsRowNormalizer(PemsFieldMapping.Default);
        var rows = SeedGenerator.Generate(7, "RIO", 0, 300).ToList();
        // Characters the default encoder escapes (quotes, <, &, +, non-ASCII, an emoji) and empty optional fields.
        rows[0]["description"] = "Crane \"50 t\" <boom> & jib + ü 😀 \\ end";
        rows[1]["pfs_f_rental"] = "1234.5000";
        rows[2]["pfs_f_manufacturer"] = "";
        foreach (var cells in rows)
        {
            var normalized = normalizer.Normalize(new GridRow(null, cells));
            Assert.True(normalized.IsValid, string.Join("; ", normalized.Rejections));
            var record = MirrorRecord.From(normalized);

            var viaNode = PfaJson.ToJson(PfaJson.FromJson(record.Data)).ToJsonString(PfaJson.Options);
            Assert.Equal(viaNode, record.Data);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(viaNode)), record.ContentHash);
        }
        Assert.Contains("\\u0022", MirrorRecord.From(normalizer.Normalize(new GridRow(null, rows[0]))).Data);
    }
}
