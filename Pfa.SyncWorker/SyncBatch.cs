using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;

namespace Pfa.SyncWorker;

/// <summary>
/// One PEMS page made ready for the mirror: the records to upsert (a pfs_id repeated within the page counts once, the last
/// one wins), the ids and reasons of rejected rows, the newest PEMS stamp and PEMS's TOTAL-COUNT. Built off the write path,
/// so the next page is prepared while the previous one is written.
/// </summary>
public sealed class SyncBatch
{
    public required int Fetched { get; init; }
    public required Dictionary<string, MirrorRecord> Records { get; init; }
    public required List<string> RejectedIds { get; init; }
    public required List<(string? PfaId, IReadOnlyList<string> Reasons)> Rejections { get; init; }
    public DateTimeOffset? MaxStamp { get; init; }
    public long? Total { get; init; }

    /// <summary>Rows that repeated a pfs_id already in this page.</summary>
    public int Duplicates => Fetched - Rejections.Count - Records.Count;

    public static SyncBatch From(GridPage page, string orgCode, PemsRowNormalizer normalizer)
    {
        var records = new Dictionary<string, MirrorRecord>(page.Rows.Count, StringComparer.Ordinal);
        var rejectedIds = new List<string>();
        var rejections = new List<(string?, IReadOnlyList<string>)>();
        DateTimeOffset? maxStamp = null;
        foreach (var row in page.Rows)
        {
            var n = normalizer.Normalize(row);
            var reasons = n.Rejections.ToList();
            if (reasons.Count == 0 && !string.Equals(n.Organization, orgCode, StringComparison.OrdinalIgnoreCase))
                reasons.Add($"organization ({CupfagGrid.Organization}) is '{n.Organization}', not '{orgCode}'");
            MirrorRecord? record = null;
            if (reasons.Count == 0)
            {
                try { record = MirrorRecord.From(n); }
                catch (ArgumentException e) { reasons.Add(e.Message); }
            }
            if (record is null)
            {
                rejections.Add((n.PfaId ?? row[CupfagGrid.PfaId] ?? row.Id, reasons));
                if (n.PfaId is { } id) rejectedIds.Add(id);
                continue;
            }
            records[record.PfaId] = record;
            if (n.LastModified is { } lm && (maxStamp is null || lm > maxStamp)) maxStamp = lm;
        }
        return new SyncBatch
        {
            Fetched = page.Rows.Count, Records = records, RejectedIds = rejectedIds, Rejections = rejections, MaxStamp = maxStamp,
            Total = page.Info.TotalCount,
        };
    }
}
