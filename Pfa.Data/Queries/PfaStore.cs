using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Pfa.Domain;

namespace Pfa.Data.Queries;

/// <summary>A merged list row; <see cref="BaseValues"/> holds, per changed field, the mirror value the draft was based on.</summary>
public sealed record MergedRow(long MirrorId, string PfaId, int MirrorVersion, PfaRecord Merged, string DraftState, JsonObject? Changes, JsonObject? BaseValues = null);

/// <summary>A list page; <see cref="Total"/> is computed on the first page only (null on cursor pages).</summary>
public sealed record ListPage(IReadOnlyList<MergedRow> Items, string? NextCursor, long? Total, bool TotalIsEstimate);

public sealed record HistoryEntry(int MirrorVersion, string? PemsVersion, DateTimeOffset RecordedAt, string ChangedBy, JsonObject Data);

public sealed record RecordDetail(
    long MirrorId, string PfaId, int MirrorVersion, string? PemsVersion, JsonObject Base, JsonObject Merged,
    Guid? ModificationId, string DraftState, JsonObject? Changes, JsonObject? BaseValues, int? BaseMirrorVersion,
    string[] ConflictFields, IReadOnlyList<HistoryEntry> History);

/// <summary>The base a draft is checked against: the current mirror row plus the caller's open delta, if any.</summary>
public sealed record DraftBase(long MirrorId, string PfaId, JsonObject Data, Guid? ModificationId, string? State, JsonObject? Changes);

/// <summary>A validated cumulative delta to store (empty <see cref="Changes"/> removes the draft).</summary>
public sealed record DraftWrite(long MirrorId, JsonObject Changes, string? ChangeReason);

public sealed record CommitResult(int Committed, int Conflicts, IReadOnlyList<(string PfaId, string[] Fields)> ConflictDetails);

public sealed record KpiRow(string? Group, string? Source, long Lines, decimal Plan, decimal Forecast, decimal Actual)
{
    public decimal Variance => Forecast - Plan;
}

/// <summary>
/// The hand-written, parameterised, set-based SQL behind the merge API. Every method runs inside a <see cref="TenantSession"/>,
/// so row-level security applies even if a caller-side check were missing.
/// </summary>
public static class PfaStore
{
    private const string Empty = "'{}'::jsonb";
    private const string Live = "m.organization_id = @org AND m.deleted_in_pems_at IS NULL";

    private static void Bind(NpgsqlCommand cmd, TenantSession s)
    {
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", s.UserId);
    }

    private static string StateExpr => "coalesce(d.state, 'pristine')";

    /// <summary>The list's total is exact up to this many lines; above it, the planner's estimate, labelled as such.</summary>
    private const long ExactCountUpTo = 100_000;

    public static async Task<ListPage> ListAsync(TenantSession s, PfaFilter filter, string sort, bool descending, int limit, string? cursor, CancellationToken ct)
    {
        var first = string.IsNullOrEmpty(cursor);
        await using var cmd = ListCommand(s, filter, sort, descending, limit, cursor, withTotal: first, out var countFrom);
        var rows = new List<MergedRow>();
        string? lastSort = null;
        var hasMore = false;
        long? count = first ? 0 : null;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                if (first) count = r.GetInt64(7);
                // limit + 1 rows were asked for: seeing the extra one means there is a next page.
                if (rows.Count == limit) { hasMore = true; break; }
                // The merged JSON straight into the record (no JSON tree per row: the page's largest API cost).
                rows.Add(new MergedRow(r.GetInt64(0), r.GetString(1), r.GetInt32(2), PfaJson.FromJson(r.GetString(3)),
                    r.GetString(4), r.IsDBNull(5) ? null : JsonNode.Parse(r.GetString(5))!.AsObject(),
                    r.IsDBNull(8) ? null : JsonNode.Parse(r.GetString(8))!.AsObject()));
                lastSort = r.GetString(6);
            }
        }
        var next = hasMore ? Cursor.Encode(new Cursor(lastSort!, rows[^1].PfaId, Cursor.OrderOf(sort, descending))) : null;
        if (!first) return new ListPage(rows, next, null, false);
        if (count <= ExactCountUpTo || countFrom is null) return new ListPage(rows, next, count, false);
        return new ListPage(rows, next, Math.Max(ExactCountUpTo + 1, await EstimateAsync(s, countFrom, cmd, ct)), true);
    }

    /// <summary>
    /// The list page as <see cref="ListAsync"/> runs it (public so the benchmark's raw-SQL floor runs the very same SQL). Columns:
    /// id, pfa_id, mirror_version, merged data, state, changes, sort value as text, and with <paramref name="withTotal"/> the
    /// capped count of all matching lines (computed once per query, an InitPlan). <paramref name="countFrom"/> is the count's FROM … WHERE,
    /// null when the total is exact at any size (no filter: the organization's line counter).
    /// </summary>
    public static NpgsqlCommand ListCommand(TenantSession s, PfaFilter filter, string sort, bool descending, int limit, string? cursor, bool withTotal,
        out string? countFrom)
    {
        var field = MergedFields.Get(sort);
        var byPfaId = field.Name == "pfaId";
        var dir = descending ? "DESC" : "ASC";
        var cmp = descending ? "<" : ">";

        var cmd = s.Command("");
        Bind(cmd, s);
        var where = new StringBuilder($"FROM pfa_mirror m {MergedFields.DeltaJoin} WHERE {Live}");
        var with = "";
        var counted = "";
        string? total = null;
        if (filter.NeedsDelta)
        {
            // Computed once (MATERIALIZED) for the page and its total alike.
            var matching = MatchingIds(filter, cmd);
            with = $"WITH matching AS MATERIALIZED ({matching}) ";
            where.Append(" AND m.id IN (SELECT id FROM matching)");
            countFrom = $"FROM ({matching}) c";
            counted = "FROM matching";
        }
        else
        {
            // Filters on PEMS-only fields cannot be changed by a delta, so the count needs no per-row delta probe.
            var plain = new StringBuilder($"WHERE {Live}");
            filter.AppendWhere(plain, cmd);
            var clauses = plain.ToString()[$"WHERE {Live}".Length..];
            where.Append(clauses);
            countFrom = counted = $"FROM pfa_mirror m {plain}";
            if (clauses.Length == 0)
            {
                // Every live line: the organization's counter (kept by triggers, exact in this snapshot) plus the caller's own
                // new lines, instead of counting the whole organization on each first page.
                total = $"(coalesce((SELECT c.live_lines FROM pfa_line_counts c WHERE c.organization_id = @org), 0) + " +
                        $"(SELECT count(*) FROM pfa_mirror m WHERE {Live} AND m.new_line_owner = @user))";
                countFrom = null;
            }
        }

        // The total only on the first page (cursor pages keep it), computed once in the same round trip (an InitPlan), capped.
        var paged = Cursor.TryDecode(cursor, out var after);
        // A cursor holds a value of its own sort: used with another it would compare unlike values (an empty page or a cast error).
        if (paged && after.Order != Cursor.OrderOf(sort, descending))
            throw new FormatException("The cursor was made for another sort or direction; start again without it.");
        if (paged && (after.PfaId.Contains('\0') || (!byPfaId && !field.AcceptsSortText(after.Value))))
            throw new FormatException("The cursor is not valid.");
        total = !withTotal ? "NULL::bigint" : total ?? $"(SELECT count(*) FROM (SELECT 1 {counted} LIMIT {ExactCountUpTo + 1}) t)";
        // A line without my delta is sent as stored: `||` would rebuild every row's jsonb only to add nothing.
        var page = new StringBuilder($"{with}SELECT m.id, m.pfa_id, m.mirror_version, CASE WHEN d.changes IS NULL THEN m.data ELSE m.data || d.changes END, {StateExpr}, d.changes, {(byPfaId ? "m.pfa_id" : field.SortKey)}::text, {total}, d.base_values ");
        page.Append(where);
        if (paged)
        {
            // Keyset: (sort value, pfa_id) strictly after the last row of the previous page.
            if (byPfaId) page.Append($" AND m.pfa_id {cmp} @after_id");
            else page.Append($" AND ({field.SortKey}, m.pfa_id) {cmp} ({field.Cast("@after_v")}, @after_id)");
            cmd.Parameters.AddWithValue("after_v", after.Value);
            cmd.Parameters.AddWithValue("after_id", after.PfaId);
        }
        page.Append(byPfaId ? $" ORDER BY m.pfa_id {dir}" : $" ORDER BY {field.SortKey} {dir}, m.pfa_id {dir}");
        page.Append(" LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", limit + 1);
        cmd.CommandText = page.ToString();
        return cmd;
    }

    /// <summary>
    /// Ids of the live lines whose merged values match a filter on editable fields, as two disjoint halves that indexes
    /// serve: lines without an open delta of the caller, matched on the mirror's stored columns, and the caller's own
    /// delta lines (a few hundred at most), matched on merged values. Scanning every line with a per-row delta probe
    /// and a CASE over its values is what this avoids.
    /// </summary>
    private static string MatchingIds(PfaFilter filter, NpgsqlCommand cmd)
    {
        var mirror = new StringBuilder($"SELECT m.id FROM pfa_mirror m WHERE {Live}");
        filter.AppendWhere(mirror, cmd, mirrorOnly: true);
        mirror.Append($" AND NOT EXISTS (SELECT 1 FROM pfa_modification x WHERE x.mirror_id = m.id AND x.user_id = @user AND x.state IN ({ModificationState.OpenSqlList}))");
        var drafted = new StringBuilder($"SELECT m.id FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id " +
                                        $"WHERE d.organization_id = @org AND d.user_id = @user AND d.state IN ({ModificationState.OpenSqlList}) AND {Live}");
        filter.AppendWhere(drafted, cmd);
        return $"{mirror} UNION ALL {drafted}";
    }

    /// <summary>The planner's row estimate for a large total (counting it exactly would read every matching line).</summary>
    private static async Task<long> EstimateAsync(TenantSession s, string countFrom, NpgsqlCommand source, CancellationToken ct)
    {
        await using var explain = s.Command($"EXPLAIN (FORMAT JSON) SELECT 1 {countFrom}");
        foreach (NpgsqlParameter p in source.Parameters)
            if (p.ParameterName is not ("after_v" or "after_id" or "limit")) explain.Parameters.Add(p.Clone());
        var plan = JsonNode.Parse((string)(await explain.ExecuteScalarAsync(ct))!)!;
        return (long)plan[0]!["Plan"]!["Plan Rows"]!.GetValue<double>();
    }

    public static async Task<RecordDetail?> GetAsync(TenantSession s, string pfaId, CancellationToken ct)
    {
        await using var cmd = s.Command($"""
            SELECT m.id, m.pfa_id, m.mirror_version, m.pems_version, m.data, m.data || coalesce(d.changes, {Empty}),
                   d.id, {StateExpr}, d.changes, d.base_values, d.base_mirror_version,
                   coalesce(array(SELECT k FROM jsonb_object_keys(d.changes) k
                                  WHERE coalesce(m.data->k, 'null'::jsonb) IS DISTINCT FROM d.base_values->k), ARRAY[]::text[])
            FROM pfa_mirror m {MergedFields.DeltaJoin}
            WHERE {Live} AND m.pfa_id = @pfa
            """);
        Bind(cmd, s);
        cmd.Parameters.AddWithValue("pfa", pfaId);
        RecordDetail? detail;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return null;
            JsonObject? Obj(int i) => r.IsDBNull(i) ? null : JsonNode.Parse(r.GetString(i))!.AsObject();
            detail = new RecordDetail(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.IsDBNull(3) ? null : r.GetString(3),
                Obj(4)!, Obj(5)!, r.IsDBNull(6) ? null : r.GetGuid(6), r.GetString(7), Obj(8), Obj(9),
                r.IsDBNull(10) ? null : r.GetInt32(10), r.GetFieldValue<string[]>(11), []);
        }
        await using var h = s.Command("""
            SELECT mirror_version, pems_version, recorded_at, changed_by, data FROM pfa_mirror_history
            WHERE mirror_id = @id ORDER BY mirror_version DESC LIMIT 50
            """);
        h.Parameters.AddWithValue("id", detail.MirrorId);
        var history = new List<HistoryEntry>();
        await using (var r = await h.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                history.Add(new HistoryEntry(r.GetInt32(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetFieldValue<DateTimeOffset>(2),
                    r.GetString(3), JsonNode.Parse(r.GetString(4))!.AsObject()));
        return detail with { History = history };
    }

    /// <summary>Loads mirror rows and the caller's open deltas for a batch of PFA ids, in one query.</summary>
    public static async Task<Dictionary<string, DraftBase>> LoadDraftBasesAsync(TenantSession s, IReadOnlyCollection<string> pfaIds, CancellationToken ct)
    {
        await using var cmd = s.Command($"""
            SELECT m.id, m.pfa_id, m.data, d.id, d.state, d.changes
            FROM pfa_mirror m {MergedFields.DeltaJoin}
            WHERE {Live} AND m.pfa_id = ANY(@ids)
            FOR UPDATE OF m
            """);
        Bind(cmd, s);
        cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = pfaIds.ToArray() });
        var result = new Dictionary<string, DraftBase>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result[r.GetString(1)] = new DraftBase(r.GetInt64(0), r.GetString(1), JsonNode.Parse(r.GetString(2))!.AsObject(),
                r.IsDBNull(3) ? null : r.GetGuid(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : JsonNode.Parse(r.GetString(5))!.AsObject());
        return result;
    }

    /// <summary>
    /// Stores validated cumulative deltas in one set-based statement: upsert the non-empty ones (recording, per touched field,
    /// the mirror value it was based on) and delete the drafts that became empty.
    /// </summary>
    public static async Task<(int Saved, int Removed)> WriteDraftsAsync(TenantSession s, IReadOnlyList<DraftWrite> writes, string? sessionId, CancellationToken ct)
    {
        if (writes.Count == 0) return (0, 0);
        await using var batch = s.Batch(WriteDraftsCommand(s, writes, sessionId));
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetInt32(0), r.GetInt32(1));
    }

    /// <summary><see cref="WriteDraftsAsync"/> for a batch (result: saved, removed).</summary>
    public static NpgsqlBatchCommand WriteDraftsCommand(TenantSession s, IReadOnlyList<DraftWrite> writes, string? sessionId)
    {
        var cmd = new NpgsqlBatchCommand($"""
            WITH input AS (
              SELECT * FROM unnest(@mirror_ids, @changes::jsonb[], @reasons) AS i(mirror_id, changes, reason)
            ), target AS (
              SELECT i.mirror_id, i.changes, i.reason, m.data, m.mirror_version, m.pems_version, coalesce(d.base_values, {Empty}) AS old_base
              FROM input i JOIN pfa_mirror m ON m.id = i.mirror_id AND m.organization_id = @org
              LEFT JOIN pfa_modification d ON d.mirror_id = m.id AND d.user_id = @user AND d.state = 'draft'
            ), upserted AS (
              INSERT INTO pfa_modification (id, organization_id, mirror_id, user_id, session_id, changes, base_values,
                                            base_mirror_version, base_pems_version, state, change_reason, created_at, updated_at, attempts)
              SELECT gen_random_uuid(), @org, t.mirror_id, @user, @session, t.changes,
                     -- A field keeps the base it was first touched against; newly touched fields take the mirror's current value.
                     (SELECT jsonb_object_agg(k, CASE WHEN t.old_base ? k THEN t.old_base->k ELSE coalesce(t.data->k, 'null'::jsonb) END)
                        FROM jsonb_object_keys(t.changes) k),
                     t.mirror_version, t.pems_version, 'draft', t.reason, now(), now(), 0
              FROM target t WHERE t.changes <> {Empty}
              ON CONFLICT (user_id, mirror_id) WHERE state IN ({ModificationState.OpenSqlList})
              DO UPDATE SET changes = EXCLUDED.changes, base_values = EXCLUDED.base_values, session_id = EXCLUDED.session_id,
                            change_reason = coalesce(EXCLUDED.change_reason, pfa_modification.change_reason), updated_at = now()
              WHERE pfa_modification.state = 'draft'
              RETURNING 1
            ), removed AS (
              DELETE FROM pfa_modification p USING target t
              WHERE p.mirror_id = t.mirror_id AND p.user_id = @user AND p.state = 'draft' AND t.changes = {Empty}
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM upserted)::int, (SELECT count(*) FROM removed)::int
            """);
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", s.UserId);
        cmd.Parameters.Add(new NpgsqlParameter("mirror_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = writes.Select(w => w.MirrorId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("changes", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = writes.Select(w => w.Changes.ToJsonString()).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = writes.Select(w => (object?)w.ChangeReason ?? DBNull.Value).ToArray() });
        cmd.Parameters.AddWithValue("session", (object?)sessionId ?? DBNull.Value);
        return cmd;
    }

    /// <summary>For a batch after a journalled write: bumps the draft version when the open journal entry recorded any line.</summary>
    public static NpgsqlBatchCommand BumpDraftVersionIfJournalledCommand(TenantSession s) => new("""
        UPDATE memberships SET draft_version = draft_version + 1 WHERE user_id = @user AND organization_id = @org
          AND EXISTS (SELECT 1 FROM draft_journal_line WHERE entry_id = current_setting('pfa.journal_id')::bigint)
        """)
    {
        Parameters = { new("org", s.OrganizationId), new("user", s.UserId) },
    };

    public static async Task BumpDraftVersionAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command("UPDATE memberships SET draft_version = draft_version + 1 WHERE user_id = @user AND organization_id = @org");
        Bind(cmd, s);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Deletes the caller's drafts: all, by PFA ids, or by session. Committed deltas are not drafts and stay.</summary>
    public static async Task<int> DiscardAsync(TenantSession s, string[]? pfaIds, string? sessionId, CancellationToken ct)
    {
        await using var cmd = s.Command("""
            DELETE FROM pfa_modification d USING pfa_mirror m
            WHERE d.mirror_id = m.id AND d.organization_id = @org AND d.user_id = @user AND d.state = 'draft'
              AND (@ids::text[] IS NULL OR m.pfa_id = ANY(@ids))
              AND (@session::text IS NULL OR d.session_id = @session)
            """);
        Bind(cmd, s);
        cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)pfaIds ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = (object?)sessionId ?? DBNull.Value });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Commit in one transaction: lock the caller's drafts, compare each touched field's recorded base value with the mirror
    /// <em>now</em> (so a delta any number of versions old is checked against the real current row), mark overlaps as conflicts,
    /// and move the rest to the write-back outbox.
    /// </summary>
    public static async Task<CommitResult> CommitAsync(TenantSession s, string? sessionId, string? userName, CancellationToken ct)
    {
        await using var cmd = s.Command("""
            WITH drafts AS (
              SELECT d.id, d.mirror_id, d.changes, m.pfa_id, m.new_line_owner IS NOT NULL AS is_new,
                     array(SELECT k FROM jsonb_object_keys(d.changes) k
                           WHERE coalesce(m.data->k, 'null'::jsonb) IS DISTINCT FROM d.base_values->k) AS conflict_fields
              FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
              WHERE d.organization_id = @org AND d.user_id = @user AND d.state = 'draft'
                AND (@session::text IS NULL OR d.session_id = @session)
              FOR UPDATE OF d
            ), moved AS (
              UPDATE pfa_modification p
              SET state = CASE WHEN cardinality(x.conflict_fields) > 0 THEN 'conflict' ELSE 'committed' END,
                  conflict_fields = CASE WHEN cardinality(x.conflict_fields) > 0 THEN x.conflict_fields END,
                  committed_at = now(), updated_at = now()
              FROM drafts x WHERE p.id = x.id
              RETURNING p.id, p.state
            ), queued AS (
              INSERT INTO pfa_outbox (organization_id, modification_id, mirror_id, pfa_id, payload, status, attempts, created_at)
              SELECT @org, x.id, x.mirror_id, x.pfa_id,
                     jsonb_build_object('pfaId', x.pfa_id, 'changes', x.changes, 'modifiedBy', @username, 'insert', x.is_new), 'pending', 0, now()
              FROM drafts x JOIN moved mv ON mv.id = x.id WHERE mv.state = 'committed'
              RETURNING 1
            )
            SELECT x.pfa_id, x.conflict_fields, (SELECT count(*) FROM queued)::int
            FROM drafts x
            """);
        Bind(cmd, s);
        cmd.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = (object?)sessionId ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("username", NpgsqlDbType.Text) { Value = (object?)userName ?? DBNull.Value });
        var conflicts = new List<(string, string[])>();
        var queued = 0;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var fields = r.GetFieldValue<string[]>(1);
            if (fields.Length > 0) conflicts.Add((r.GetString(0), fields));
            queued = r.GetInt32(2);
        }
        return new CommitResult(queued, conflicts.Count, conflicts);
    }

    /// <summary>
    /// The organization's category codes, each with its most common non-empty PEMS description, in one grouped pass over
    /// the committed lines (other users' new lines left out). Callers cache it per mirror version: descriptions only change
    /// with a sync.
    /// </summary>
    public static async Task<IReadOnlyList<CategoryLabel>> CategoriesAsync(TenantSession s, CancellationToken ct)
    {
        await using var cmd = s.Command($"""
            SELECT m.category, mode() WITHIN GROUP (ORDER BY m.data->>'categoryDescription')
                                 FILTER (WHERE btrim(m.data->>'categoryDescription') <> '')
            FROM pfa_mirror m
            WHERE {Live} AND m.new_line_owner IS NULL AND m.category <> ''
            GROUP BY m.category
            ORDER BY m.category
            """);
        Bind(cmd, s);
        var labels = new List<CategoryLabel>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            labels.Add(new CategoryLabel(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)));
        return labels;
    }

    /// <summary>
    /// KPI totals from the materialized view plus, with drafts, the caller's delta adjustments:
    /// Σ(cost of merged line) − Σ(cost of mirror line) over the caller's open deltas only, each side respecting the KPI exclusions.
    /// </summary>
    public static async Task<IReadOnlyList<KpiRow>> KpisAsync(TenantSession s, bool includeDrafts, string? groupBy, CancellationToken ct,
        PfaFilter? filter = null)
    {
        // A filter on the summaries' own dimensions (PfaFilter.OnlyKpiDimensions) applies to each part in its terms: the
        // summary rows by their stored values, the drafted lines taken out by their mirror values as the summary counted them,
        // and the drafted lines added back by their merged values (as the list filters them).
        var (summaryWhere, baseWhere, mergedWhere) = (new StringBuilder(), new StringBuilder(), new StringBuilder());
        var filterValues = new List<NpgsqlParameter>();
        foreach (var (field, values) in filter?.KpiDimensions() ?? [])
        {
            var f = MergedFields.Get(field);
            var stored = field == "source" ? "coalesce(m.source, 'Rental')" : $"coalesce(m.{f.Column}, '')";
            summaryWhere.Append($" AND {(field == "source" ? "source" : f.Column)} = ANY(@f_{field})");
            baseWhere.Append($" AND {stored} = ANY(@f_{field})");
            // A line without a source counts as Rental on every side (PfaRecord's default), so none is taken out and not added back.
            mergedWhere.Append($" AND {(field == "source" ? $"coalesce({f.Merged}, 'Rental')" : f.Merged)} = ANY(@f_{field})");
            filterValues.Add(new NpgsqlParameter($"f_{field}", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values });
        }
        var g = groupBy is null ? null : MergedFields.Get(groupBy);
        var mvGroup = g is null ? "NULL::text" : g.Column;
        var baseGroup = g is null ? "NULL::text" : $"coalesce(m.{g.Column}, '')";
        var mergedGroup = g is null ? "NULL::text" : $"coalesce({g.Merged}, '')";
        var included = "NOT m.is_discontinued AND NOT m.is_funds_transferable";
        var mergedIncluded = MergedFields.MergedCountsInKpis;
        var adjustments = includeDrafts ? $"""
            UNION ALL
            SELECT {baseGroup}, coalesce(m.source, 'Rental'), -1, -{MergedFields.BaseCost("plan")}, -{MergedFields.BaseCost("forecast")}, -{MergedFields.BaseCost("actual")}
            FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
            WHERE d.organization_id = @org AND d.user_id = @user AND d.state IN ({ModificationState.OpenSqlList}) AND m.deleted_in_pems_at IS NULL AND {included}
              AND m.new_line_owner IS NULL -- a new line is not in the summaries: nothing to take out, only its merged figures to add
              {baseWhere}
            UNION ALL
            SELECT {mergedGroup}, coalesce({MergedFields.Get("source").Merged}, 'Rental'), 1, {MergedFields.MergedCost("plan")}, {MergedFields.MergedCost("forecast")}, {MergedFields.MergedCost("actual")}
            FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
            WHERE d.organization_id = @org AND d.user_id = @user AND d.state IN ({ModificationState.OpenSqlList}) AND m.deleted_in_pems_at IS NULL AND {mergedIncluded}
              {mergedWhere}
            """ : "";
        await using var cmd = s.Command($"""
            SELECT grp, source, sum(lines)::bigint, coalesce(sum(plan), 0), coalesce(sum(forecast), 0), coalesce(sum(actual), 0)
            FROM (
              SELECT {mvGroup} AS grp, source, line_count AS lines, plan_cost AS plan, forecast_cost AS forecast, actual_cost AS actual
              FROM pfa_kpi_groups_tenant WHERE organization_id = @org {summaryWhere}
              {adjustments}
            ) x
            GROUP BY grp, source
            ORDER BY grp NULLS FIRST, source
            """);
        Bind(cmd, s);
        cmd.Parameters.AddRange(filterValues.ToArray());
        var rows = new List<KpiRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new KpiRow(r.IsDBNull(0) ? null : r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDecimal(3), r.GetDecimal(4), r.GetDecimal(5)));
        return rows;
    }

    /// <summary>
    /// The KPI roll-up of the lines matching a filter (what the grid shows), from the merged lines themselves: the
    /// precomputed summaries know no filter. Same exclusions and cost rules as <see cref="KpisAsync"/>, same filter
    /// clauses as the list, so the board and the grid count the same lines. Committed: no user, so no delta joins.
    /// </summary>
    public static async Task<IReadOnlyList<KpiRow>> FilteredKpisAsync(TenantSession s, PfaFilter filter, bool includeDrafts, string? groupBy, CancellationToken ct)
    {
        await using var cmd = s.Command("");
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", includeDrafts ? s.UserId : Guid.Empty);
        var group = groupBy is null ? "NULL::text" : $"coalesce({MergedFields.Get(groupBy).Merged}, '')";
        var where = new StringBuilder($"FROM pfa_mirror m {MergedFields.DeltaJoin} WHERE {Live}" +
            $" AND {MergedFields.MergedCountsInKpis} AND (m.new_line_owner IS NULL OR d.id IS NOT NULL)");
        filter.AppendWhere(where, cmd);
        cmd.CommandText = $"""
            SELECT {group} AS grp, coalesce({MergedFields.Get("source").Merged}, 'Rental') AS source, count(*)::bigint,
                   coalesce(sum({MergedFields.MergedCost("plan")}), 0), coalesce(sum({MergedFields.MergedCost("forecast")}), 0),
                   coalesce(sum({MergedFields.MergedCost("actual")}), 0)
            {where}
            GROUP BY 1, 2
            ORDER BY 1 NULLS FIRST, 2
            """;
        var rows = new List<KpiRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new KpiRow(r.IsDBNull(0) ? null : r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDecimal(3), r.GetDecimal(4), r.GetDecimal(5)));
        return rows;
    }

    /// <summary>
    /// Plan / forecast / actual cost per calendar month over the filtered lines that count in the KPIs, set-based: each
    /// rental window is cut into its months with generate_series (end-exclusive days × rate ÷ 30.44, rounded per month),
    /// a purchase costs its price in its start month (Pfa.Domain.MonthlyCostRules is the C# twin). Committed
    /// (<paramref name="includeDrafts"/> false) reads the mirror alone: the delta join is given no user to match.
    /// </summary>
    public static async Task<IReadOnlyList<MonthCost>> MonthlyCostAsync(TenantSession s, PfaFilter filter, bool includeDrafts, CancellationToken ct)
    {
        await using var cmd = s.Command("");
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", includeDrafts ? s.UserId : Guid.Empty);
        string F(string name) => MergedFields.Get(name).Merged;
        var where = new StringBuilder($"FROM pfa_mirror m {MergedFields.DeltaJoin} WHERE {Live}" +
            $" AND {MergedFields.MergedCountsInKpis} AND (m.new_line_owner IS NULL OR d.id IS NOT NULL)");
        filter.AppendWhere(where, cmd);
        cmd.CommandText = $"""
            WITH line AS (
              SELECT coalesce({F("source")}, 'Rental') AS source, coalesce({F("monthlyRate")}, 0) AS rate, coalesce({F("purchasePrice")}, 0) AS price,
                     m.original_start AS ps, m.original_end AS pe, {F("forecastStart")} AS fs, {F("forecastEnd")} AS fe,
                     m.has_actuals, m.actual_start AS acs, {F("actualEnd")} AS ace
              {where}
            ), win AS (
              SELECT 0 AS layer, source, rate, price, ps AS s, pe AS e FROM line
              UNION ALL SELECT 1, source, rate, price, fs, fe FROM line
              UNION ALL SELECT 2, source, rate, price, acs, ace FROM line WHERE has_actuals
            ), cost AS (
              SELECT w.layer, mo::date AS month,
                     round((least(w.e, (mo + interval '1 month')::date) - greatest(w.s, mo::date)) * w.rate / 30.44, 2) AS amount
              FROM win w CROSS JOIN LATERAL generate_series(date_trunc('month', w.s), date_trunc('month', w.e - 1), interval '1 month') mo
              WHERE w.source <> 'Purchase' AND w.s < w.e
              UNION ALL
              SELECT w.layer, date_trunc('month', w.s)::date, w.price FROM win w WHERE w.source = 'Purchase' AND w.s IS NOT NULL
            )
            SELECT month, coalesce(sum(amount) FILTER (WHERE layer = 0), 0), coalesce(sum(amount) FILTER (WHERE layer = 1), 0),
                   coalesce(sum(amount) FILTER (WHERE layer = 2), 0)
            FROM cost GROUP BY month ORDER BY month
            """;
        var months = new List<MonthCost>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            months.Add(new MonthCost(r.GetFieldValue<DateOnly>(0), r.GetDecimal(1), r.GetDecimal(2), r.GetDecimal(3)));
        return months;
    }

    /// <summary>Recomputes the KPI and timeline summaries of every organization (loaders, tests). Needs the owner's connection, not pfa_app.</summary>
    public static async Task RefreshViewsAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT pfa_refresh_summaries()");
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// After the mirror of one organization changed: its version bump and its KPI/timeline summaries (recomputed from its
    /// own lines only) in one transaction, so readers see the new version and the new figures together, never the new
    /// version with the old figures (the API's KPI cache keys on the version). The version update goes first: its row lock
    /// serialises two refreshes of one organization, so the second recomputes after the first committed.
    /// </summary>
    public static async Task<long> MirrorChangedAsync(NpgsqlDataSource dataSource, Guid organizationId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long version;
        await using (var bump = new NpgsqlCommand("UPDATE organizations SET mirror_version = mirror_version + 1 WHERE id = @org RETURNING mirror_version", conn, tx))
        {
            bump.Parameters.AddWithValue("org", organizationId);
            version = (long)(await bump.ExecuteScalarAsync(ct))!;
        }
        await using (var refresh = new NpgsqlCommand("SELECT pfa_refresh_summaries(@org)", conn, tx))
        {
            refresh.Parameters.AddWithValue("org", organizationId);
            await refresh.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return version;
    }
}

/// <summary>Opaque keyset cursor: the last row's sort value and PFA id, and the order it was made for, base64url JSON.</summary>
public sealed record Cursor(string Value, string PfaId, string Order)
{
    public static string OrderOf(string sort, bool descending) => (descending ? "-" : "+") + sort.ToLowerInvariant();

    public static string Encode(Cursor c) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new[] { c.Value, c.PfaId, c.Order })).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? text, out Cursor cursor)
    {
        cursor = new Cursor("", "", "");
        if (string.IsNullOrEmpty(text)) return false;
        try
        {
            var b64 = text.Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            var parts = JsonSerializer.Deserialize<string[]>(Convert.FromBase64String(b64));
            if (parts is not { Length: 3 } || parts.Any(p => p is null)) throw new FormatException();
            cursor = new Cursor(parts[0], parts[1], parts[2]);
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new FormatException("The cursor is not valid.", e);
        }
    }
}
