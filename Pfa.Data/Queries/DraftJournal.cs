using Npgsql;

namespace Pfa.Data.Queries;

public sealed record JournalEntryInfo(long Id, string Label, string State, int Lines, DateTimeOffset CreatedAt, DateTimeOffset? UndoneAt);

/// <summary>What an undo or redo did: lines restored, and lines left alone because they were committed or changed meanwhile.</summary>
public sealed record JournalReplay(long EntryId, string Label, int Restored, int Skipped, IReadOnlyList<string> SkippedPfaIds);

/// <summary>
/// The per-user, per-organization undo/redo journal of draft operations. An operation opens an entry with
/// <see cref="BeginAsync"/>; the database triggers record every delta row it touches (before and after, set-based);
/// <see cref="EndAsync"/> labels it, clears the redo stack and keeps the newest <see cref="MaxDepth"/> entries.
/// </summary>
public static class DraftJournal
{
    public const int MaxDepth = 50;

    private const string BeginSql = """
        WITH e AS (
          INSERT INTO draft_journal (organization_id, user_id, label, state, lines, created_at)
          VALUES (@org, @user, '', 'done', 0, now()) RETURNING id
        )
        SELECT id, set_config('pfa.journal_id', id::text, true) FROM e
        """;

    public static async Task<long> BeginAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command(BeginSql);
        Bind(cmd, s);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// For a batch (one round trip with the operation): opens the entry (result: its id). The statements after it in the
    /// batch are recorded; <see cref="CountAndStopCommands"/> ends the recording.
    /// </summary>
    public static NpgsqlBatchCommand BeginCommand(TenantSession s) => new(BeginSql)
    {
        Parameters = { new("org", s.OrganizationId), new("user", s.UserId) },
    };

    /// <summary>For a batch: the lines recorded in the open entry (result: count), then stops recording (result: empty text).</summary>
    public static NpgsqlBatchCommand[] CountAndStopCommands() =>
    [
        new("SELECT count(*)::int FROM draft_journal_line WHERE entry_id = current_setting('pfa.journal_id')::bigint"),
        new("SELECT set_config('pfa.journal_id', '', true)"),
    ];

    /// <summary>Closes the entry: dropped when the operation changed nothing, else labelled (from the line count) and the stacks trimmed.</summary>
    public static async Task<int> EndAsync(TenantSession s, long entryId, Func<int, string> label, CancellationToken ct)
    {
        int lines;
        await using (var batch = s.Batch(CountAndStopCommands()))
            lines = (int)(await batch.ExecuteScalarAsync(ct))!;
        return await CloseAsync(s, entryId, lines, label, ct);
    }

    /// <summary>The second half of <see cref="EndAsync"/>, once the recorded <paramref name="lines"/> are counted.</summary>
    public static async Task<int> CloseAsync(TenantSession s, long entryId, int lines, Func<int, string> label, CancellationToken ct)
    {
        if (lines == 0)
        {
            await using var drop = s.Command("DELETE FROM draft_journal WHERE id = @id");
            drop.Parameters.AddWithValue("id", entryId);
            await drop.ExecuteNonQueryAsync(ct);
            return 0;
        }
        await using var close = s.Command("""
            UPDATE draft_journal SET label = @label, lines = @lines WHERE id = @id;
            -- A new edit ends the redo stack, and only the newest entries stay undoable.
            DELETE FROM draft_journal WHERE organization_id = @org AND user_id = @user
              AND (state = 'undone' OR id < (SELECT min(id) FROM (SELECT id FROM draft_journal
                     WHERE organization_id = @org AND user_id = @user AND state = 'done' ORDER BY id DESC LIMIT @depth) keep));
            """);
        Bind(close, s);
        close.Parameters.AddWithValue("id", entryId);
        close.Parameters.AddWithValue("label", label(lines));
        close.Parameters.AddWithValue("lines", lines);
        close.Parameters.AddWithValue("depth", MaxDepth);
        await close.ExecuteNonQueryAsync(ct);
        return lines;
    }

    /// <summary>Undo stack first (newest first), then the redo stack (next to redo first).</summary>
    public static async Task<IReadOnlyList<JournalEntryInfo>> HistoryAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command("""
            SELECT id, label, state, lines, created_at, undone_at FROM draft_journal
            WHERE organization_id = @org AND user_id = @user
            ORDER BY state, CASE WHEN state = 'done' THEN -id ELSE id END
            """);
        Bind(cmd, s);
        var list = new List<JournalEntryInfo>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new JournalEntryInfo(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3),
                r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5)));
        return list;
    }

    /// <summary>
    /// After a commit: forgets every entry (undo and redo stacks) that touches a line whose open delta is no longer my
    /// draft (committed, queued, syncing, in conflict). Replaying it could only skip those lines, so offering it would be
    /// offering an undo that does nothing (issue #19). Returns the number of entries forgotten.
    /// </summary>
    public static async Task<int> ForgetCommittedAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command($"""
            DELETE FROM draft_journal j
            WHERE j.organization_id = @org AND j.user_id = @user
              AND EXISTS (SELECT 1 FROM draft_journal_line l
                          JOIN pfa_modification p ON p.mirror_id = l.mirror_id AND p.user_id = @user
                          WHERE l.entry_id = j.id AND p.state IN ({ModificationState.OpenSqlList}) AND p.state <> '{ModificationState.Draft}')
            """);
        Bind(cmd, s);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static Task<JournalReplay?> UndoAsync(TenantSession s, CancellationToken ct) => ReplayAsync(s, undo: true, ct);

    public static Task<JournalReplay?> RedoAsync(TenantSession s, CancellationToken ct) => ReplayAsync(s, undo: false, ct);

    /// <summary>
    /// Restores one entry in one statement. A line is restored only while the caller's open delta on it is exactly what the
    /// entry left (undo) or found (redo); a line committed (or otherwise changed) meanwhile is skipped and reported.
    /// </summary>
    private static async Task<JournalReplay?> ReplayAsync(TenantSession s, bool undo, CancellationToken ct)
    {
        var (expected, target, from, to, pick) = undo
            ? ("after", "before", DraftJournalState.Done, DraftJournalState.Undone, "ORDER BY id DESC")
            : ("before", "after", DraftJournalState.Undone, DraftJournalState.Done, "ORDER BY id");
        await using var cmd = s.Command($"""
            WITH entry AS (
              SELECT id, label FROM draft_journal
              WHERE organization_id = @org AND user_id = @user AND state = @from {pick} LIMIT 1
              FOR UPDATE
            ), lines AS (
              SELECT l.mirror_id, l.{target} AS target, cur.id AS cur_id,
                     coalesce(CASE WHEN l.{expected} IS NULL THEN cur.id IS NULL
                                   ELSE cur.state = 'draft' AND cur.changes = l.{expected}->'changes' END, false) AS eligible
              FROM entry e JOIN draft_journal_line l ON l.entry_id = e.id
              LEFT JOIN pfa_modification cur ON cur.mirror_id = l.mirror_id AND cur.user_id = @user
                                              AND cur.state IN ({ModificationState.OpenSqlList})
            ), removed AS (
              DELETE FROM pfa_modification p USING lines x
              WHERE x.eligible AND x.target IS NULL AND p.id = x.cur_id
              RETURNING 1
            ), updated AS (
              UPDATE pfa_modification p
              SET changes = t.changes, base_values = t.base_values, base_mirror_version = t.base_mirror_version,
                  base_pems_version = t.base_pems_version, session_id = t.session_id, change_reason = t.change_reason, updated_at = now()
              FROM lines x CROSS JOIN LATERAL jsonb_populate_record(NULL::pfa_modification, x.target) t
              WHERE x.eligible AND x.target IS NOT NULL AND p.id = x.cur_id
              RETURNING 1
            ), inserted AS (
              INSERT INTO pfa_modification (id, organization_id, mirror_id, user_id, session_id, changes, base_values,
                                            base_mirror_version, base_pems_version, state, change_reason, created_at, updated_at, attempts)
              SELECT t.id, @org, x.mirror_id, @user, t.session_id, t.changes, t.base_values, t.base_mirror_version, t.base_pems_version,
                     'draft', t.change_reason, t.created_at, now(), 0
              FROM lines x CROSS JOIN LATERAL jsonb_populate_record(NULL::pfa_modification, x.target) t
              WHERE x.eligible AND x.target IS NOT NULL AND x.cur_id IS NULL
              ON CONFLICT DO NOTHING
              RETURNING 1
            ), moved AS (
              UPDATE draft_journal j SET state = @to, undone_at = CASE WHEN @to = 'undone' THEN now() END
              FROM entry e WHERE j.id = e.id
              RETURNING 1
            )
            SELECT e.id, e.label,
                   (SELECT count(*) FROM removed)::int + (SELECT count(*) FROM updated)::int + (SELECT count(*) FROM inserted)::int,
                   (SELECT count(*) FROM lines WHERE NOT eligible)::int,
                   array(SELECT m.pfa_id FROM lines x JOIN pfa_mirror m ON m.id = x.mirror_id WHERE NOT x.eligible ORDER BY m.pfa_id LIMIT 20),
                   (SELECT count(*) FROM moved)::int
            FROM entry e
            """);
        Bind(cmd, s);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new JournalReplay(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetFieldValue<string[]>(4));
    }

    private static void Bind(NpgsqlCommand cmd, TenantSession s)
    {
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", s.UserId);
    }
}
