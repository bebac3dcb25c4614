using System.Text.Json.Nodes;
using Pfa.Data;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

/// <summary>A batch of draft items checked against the mirror and the caller's open deltas (nothing written yet).</summary>
/// <param name="Pending">Per mirror line, the cumulative delta to store (later items for a line build on earlier ones).</param>
/// <param name="Bases">The lines found, by PFA id (mirror data and the caller's open delta).</param>
public sealed record DraftBatchCheck(Dictionary<long, DraftWrite> Pending, List<DraftItemError> Errors, Dictionary<string, DraftBase> Bases);

/// <summary>
/// The one draft save path: <c>POST /drafts</c>, restoring a version and applying an import all go through it, so the same
/// rules (<see cref="DraftRules"/>), the same cumulative-delta storage and one undoable journal entry apply to each.
/// </summary>
public static class DraftSaving
{
    public static async Task<DraftBatchCheck> CheckAsync(TenantSession session, IReadOnlyList<DraftItem> items, CancellationToken ct)
    {
        var bases = await PfaStore.LoadDraftBasesAsync(session, items.Select(i => i.PfaId).Where(p => p is not null).Distinct().ToArray(), ct);
        var errors = new List<DraftItemError>();
        var pending = new Dictionary<long, DraftWrite>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.PfaId is null || !bases.TryGetValue(item.PfaId, out var b))
            {
                errors.Add(new DraftItemError(i, item.PfaId ?? "", new Dictionary<string, string[]> { ["pfaId"] = ["No such PFA line in this organization."] }));
                continue;
            }
            if (b.State is not (null or "draft"))
            {
                errors.Add(new DraftItemError(i, item.PfaId, new Dictionary<string, string[]> { ["pfaId"] = [$"A {b.State} change for this line awaits sync; resolve it first."] }));
                continue;
            }
            var existing = pending.TryGetValue(b.MirrorId, out var p) ? p.Changes : b.Changes;
            var requested = PfaJson.Overlay(existing ?? new JsonObject(), item.Changes ?? new JsonObject());
            var check = DraftRules.Check(PfaJson.FromJson(b.Data), requested);
            if (!check.IsValid)
            {
                errors.Add(new DraftItemError(i, item.PfaId, check.Errors.ToDictionary(e => e.Key, e => e.Value)));
                continue;
            }
            pending[b.MirrorId] = new DraftWrite(b.MirrorId, check.Changes, item.ChangeReason);
        }
        return new DraftBatchCheck(pending, errors, bases);
    }

    /// <summary>
    /// Writes a checked batch as one journal entry (labelled from the number of lines it touched) and bumps the draft version
    /// when it touched any: opening the entry, the write, the bump and the count in one round trip, the label in a second.
    /// </summary>
    public static async Task<(int Saved, int Removed)> WriteAsync(TenantSession session, DraftBatchCheck check, string? sessionId, Func<int, string> label,
        CancellationToken ct)
    {
        var writes = check.Pending.Values.ToList();
        if (writes.Count == 0) return (0, 0); // nothing to write: no entry, no bump (an empty entry would be dropped anyway)
        long journal;
        int saved, removed, lines;
        await using (var batch = session.Batch([DraftJournal.BeginCommand(session), PfaStore.WriteDraftsCommand(session, writes, sessionId),
                         PfaStore.BumpDraftVersionIfJournalledCommand(session), .. DraftJournal.CountAndStopCommands()]))
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            journal = r.GetInt64(0);
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            (saved, removed) = (r.GetInt32(0), r.GetInt32(1));
            await r.NextResultAsync(ct); // past the bump, which returns no rows (no result set of its own)
            await r.ReadAsync(ct);
            lines = r.GetInt32(0);
        }
        await DraftJournal.CloseAsync(session, journal, lines, label, ct);
        return (saved, removed);
    }
}
