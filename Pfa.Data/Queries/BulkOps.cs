using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Pfa.Data.Queries;

public enum BulkKind { ShiftForecast, SetForecastDates, SetRate, SetPrice, SetSource, SetDor, SetCategory, Discontinue, ResetToPlan, SetDuration }

/// <summary>One bulk operation; only the values its kind needs are read (and already validated by the caller).</summary>
public sealed record BulkOperation(BulkKind Kind)
{
    public int Days { get; init; }
    /// <summary>Calendar months for a shift (31 Jan + 1 month = 28/29 Feb), on top of <see cref="Days"/>.</summary>
    public int Months { get; init; }
    public DateOnly? Start { get; init; }
    public DateOnly? End { get; init; }
    public decimal? Amount { get; init; }
    public string? Text { get; init; }
    public string? Class { get; init; }
}

public sealed record BulkResult(int Matched, int Eligible, int Saved, int Removed, int OutOfDateRange = 0)
{
    public int Skipped => Matched - Eligible;
    /// <summary>Why lines were skipped: a rule forbids the operation on them, or it would move a date out of 0001..9999.</summary>
    public IReadOnlyDictionary<string, int> SkippedReasons => BulkOps.Reasons(Skipped, OutOfDateRange);
}

/// <summary>What a bulk edit would do, before it is applied: lines and the forecast cost (KPI rules, with my drafts) of the eligible lines.</summary>
/// <summary>A line a bulk edit would skip, and why: <see cref="BulkOps.ReasonOutOfDateRange"/> or the operation's rule.</summary>
public sealed record SkippedLine(string PfaId, string Reason);

public sealed record BulkPreview(int Matched, int Eligible, int Changing, decimal ForecastBefore, decimal ForecastAfter, int OutOfDateRange = 0,
    IReadOnlyList<SkippedLine>? SkippedLines = null)
{
    public int Skipped => Matched - Eligible;
    public IReadOnlyDictionary<string, int> SkippedReasons => BulkOps.Reasons(Skipped, OutOfDateRange);
    public decimal ForecastImpact => ForecastAfter - ForecastBefore;
}

/// <summary>
/// Bulk edits as one set-based statement per request: select the lines (ids or filter, on merged values), compute the new
/// values in SQL, fold them into each caller's cumulative delta (dropping fields equal to the mirror), upsert or delete.
/// Lines a rule forbids (e.g. actualized lines for a shift) are skipped and counted, never half-applied.
/// </summary>
public static class BulkOps
{
    private static string M(string field) => MergedFields.Get(field).Merged;

    public const string ReasonOutOfDateRange = "dateOutOfRange";
    public const string ReasonNotEligible = "notEligible";

    public static IReadOnlyDictionary<string, int> Reasons(int skipped, int outOfDateRange)
    {
        var reasons = new Dictionary<string, int>();
        if (outOfDateRange > 0) reasons[ReasonOutOfDateRange] = outOfDateRange;
        if (skipped - outOfDateRange > 0) reasons[ReasonNotEligible] = skipped - outOfDateRange;
        return reasons;
    }

    /// <summary>How many skipped lines a preview names (the count covers them all).</summary>
    public const int SkippedLinesShown = 10;

    /// <summary>The rule that makes a line ineligible for <paramref name="kind"/>, in words (what the preview says of a skipped line).</summary>
    public static string Rule(BulkKind kind) => kind switch
    {
        BulkKind.ShiftForecast => "actualized, or without forecast dates",
        BulkKind.SetDuration => "actualized, or without a forecast start",
        BulkKind.SetForecastDates => "actualized (only the end may move, not before the actual start), or the start would pass the end",
        BulkKind.SetSource => "actualized",
        BulkKind.ResetToPlan => "actualized, or without plan dates",
        _ => "not eligible",
    };

    // Dates a single edit accepts (FieldRules.MinDate..MaxDate): PostgreSQL would store year 10000 or wrap into BC years.
    private static string InDateRange(string date) => $"({date})::date BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'";

    /// <summary>The condition a line must meet for its new dates to stay in range (true for operations that set no computed date).</summary>
    private static string InRange(BulkOperation op) => op.Kind switch
    {
        BulkKind.ShiftForecast =>
            $"{InDateRange($"{M("forecastStart")} + make_interval(months => @months, days => @days)")} AND " +
            InDateRange($"{M("forecastEnd")} + make_interval(months => @months, days => @days)"),
        BulkKind.SetDuration => InDateRange($"{M("forecastStart")} + @days"),
        _ => "true",
    };

    private static (string Set, string Eligible) Plan(BulkOperation op) => op.Kind switch
    {
        BulkKind.ShiftForecast => (
            $"jsonb_build_object('forecastStart', to_char({M("forecastStart")} + make_interval(months => @months, days => @days), 'YYYY-MM-DD'), " +
            $"'forecastEnd', to_char({M("forecastEnd")} + make_interval(months => @months, days => @days), 'YYYY-MM-DD'))",
            $"NOT m.is_actualized AND {M("forecastStart")} IS NOT NULL AND {M("forecastEnd")} IS NOT NULL"),
        BulkKind.SetDuration => (
            // Duration in end-exclusive days, the unit of the cost rules: the end moves, the start stays.
            $"jsonb_build_object('forecastEnd', to_char({M("forecastStart")} + @days, 'YYYY-MM-DD'))",
            $"NOT m.is_actualized AND {M("forecastStart")} IS NOT NULL"),
        BulkKind.SetForecastDates => (
            // Actualized lines may only move their end, and then the actual end moves with it.
            "jsonb_strip_nulls(jsonb_build_object('forecastStart', to_char(@start, 'YYYY-MM-DD'), 'forecastEnd', to_char(@end, 'YYYY-MM-DD'), " +
            "'actualEnd', CASE WHEN m.is_actualized AND m.has_actuals THEN to_char(@end, 'YYYY-MM-DD') END))",
            $"(@start::date IS NULL OR NOT m.is_actualized) AND coalesce(@start, {M("forecastStart")}) <= coalesce(@end, {M("forecastEnd")})" +
            $" AND (NOT m.is_actualized OR @end IS NULL OR m.actual_start IS NULL OR m.actual_start <= @end)"),
        BulkKind.SetRate => ("jsonb_build_object('monthlyRate', @amount)", "true"),
        BulkKind.SetPrice => ("jsonb_build_object('purchasePrice', @amount)", "true"),
        BulkKind.SetSource => ("jsonb_build_object('source', @text)", "NOT m.is_actualized"),
        BulkKind.SetDor => ("jsonb_build_object('dor', @text)", "true"),
        BulkKind.SetCategory => ("jsonb_strip_nulls(jsonb_build_object('category', @text, 'class', @class))", "true"),
        BulkKind.Discontinue => ("jsonb_build_object('isDiscontinued', true, 'isFundsTransferable', false)", "true"),
        BulkKind.ResetToPlan => (
            "jsonb_build_object('forecastStart', to_char(m.original_start, 'YYYY-MM-DD'), 'forecastEnd', to_char(m.original_end, 'YYYY-MM-DD'))",
            "NOT m.is_actualized AND m.original_start IS NOT NULL AND m.original_end IS NOT NULL"),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>
    /// The selection with each line's current delta and its proposed cumulative delta (<c>proposed.changes</c>). Shared by
    /// apply and preview, so the figure shown before applying is computed by the very statement that applies.
    /// </summary>
    private static string SelectionCtes(BulkOperation op, string where, bool forUpdate)
    {
        var (set, rule) = Plan(op);
        // A line out of date range is never eligible: skipped and counted (out_of_range), never stored.
        var eligible = $"({rule}) AND coalesce({InRange(op)}, false)";
        return $"""
            WITH selected AS (
              SELECT m.id AS mirror_id, m.data, m.mirror_version, m.pems_version, d.id AS mod_id,
                     coalesce(d.changes, '{"{}"}'::jsonb) AS old_changes, coalesce(d.base_values, '{"{}"}'::jsonb) AS old_base,
                     ({eligible}) AS eligible, CASE WHEN ({eligible}) THEN {set} END AS patch,
                     coalesce(({rule}) AND NOT coalesce({InRange(op)}, false), false) AS out_of_range
              FROM pfa_mirror m {MergedFields.DeltaJoin}
              WHERE m.organization_id = @org AND m.deleted_in_pems_at IS NULL
                AND (d.id IS NULL OR d.state = 'draft') {where}
              {(forUpdate ? "FOR UPDATE OF m" : "")}
            ), proposed AS (
              SELECT s.*, (SELECT coalesce(jsonb_object_agg(e.key, e.value), '{"{}"}'::jsonb)
                           FROM jsonb_each(s.old_changes || s.patch) e
                           -- Cumulative diff: a value equal to the mirror's is no change at all.
                           WHERE coalesce(s.data->e.key, 'null'::jsonb) IS DISTINCT FROM e.value) AS changes
              FROM selected s WHERE s.eligible
            )
            """;
    }

    private static NpgsqlCommand Command(TenantSession s, PfaFilter selection, BulkOperation op, string? sessionId, Func<string, string> statement)
    {
        var cmd = s.Command("");
        var where = new StringBuilder();
        selection.AppendWhere(where, cmd);
        cmd.CommandText = statement(where.ToString());
        cmd.Parameters.AddWithValue("org", s.OrganizationId);
        cmd.Parameters.AddWithValue("user", s.UserId);
        cmd.Parameters.AddWithValue("days", op.Days);
        cmd.Parameters.AddWithValue("months", op.Months);
        cmd.Parameters.Add(new NpgsqlParameter("start", NpgsqlDbType.Date) { Value = (object?)op.Start ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("end", NpgsqlDbType.Date) { Value = (object?)op.End ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("amount", NpgsqlDbType.Numeric) { Value = (object?)op.Amount ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("text", NpgsqlDbType.Text) { Value = (object?)op.Text ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("class", NpgsqlDbType.Text) { Value = (object?)op.Class ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = (object?)sessionId ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("reason", NpgsqlDbType.Text) { Value = $"bulk:{op.Kind}" });
        return cmd;
    }

    public static async Task<BulkResult> ApplyAsync(TenantSession s, PfaFilter selection, BulkOperation op, string? sessionId, CancellationToken ct)
    {
        await using var cmd = Command(s, selection, op, sessionId, where => $"""
            {SelectionCtes(op, where, forUpdate: true)}, upserted AS (
              INSERT INTO pfa_modification (id, organization_id, mirror_id, user_id, session_id, changes, base_values,
                                            base_mirror_version, base_pems_version, state, change_reason, created_at, updated_at, attempts)
              SELECT gen_random_uuid(), @org, p.mirror_id, @user, @session, p.changes,
                     (SELECT jsonb_object_agg(k, CASE WHEN p.old_base ? k THEN p.old_base->k ELSE coalesce(p.data->k, 'null'::jsonb) END)
                        FROM jsonb_object_keys(p.changes) k),
                     p.mirror_version, p.pems_version, 'draft', @reason, now(), now(), 0
              FROM proposed p WHERE p.changes <> '{"{}"}'::jsonb
              ON CONFLICT (user_id, mirror_id) WHERE state IN ({ModificationState.OpenSqlList})
              DO UPDATE SET changes = EXCLUDED.changes, base_values = EXCLUDED.base_values, session_id = EXCLUDED.session_id,
                            change_reason = coalesce(EXCLUDED.change_reason, pfa_modification.change_reason), updated_at = now()
              WHERE pfa_modification.state = 'draft'
              RETURNING 1
            ), removed AS (
              DELETE FROM pfa_modification x USING proposed p
              WHERE x.id = p.mod_id AND x.state = 'draft' AND p.changes = '{"{}"}'::jsonb
              RETURNING 1
            )
            SELECT (SELECT count(*) FROM selected)::int, (SELECT count(*) FROM proposed)::int,
                   (SELECT count(*) FROM upserted)::int, (SELECT count(*) FROM removed)::int,
                   (SELECT count(*) FROM selected WHERE out_of_range)::int
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new BulkResult(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4));
    }

    /// <summary>
    /// The impact of a bulk edit without applying it: forecast cost of the eligible lines with my current delta and with the
    /// proposed one (the merged-value SQL reads <c>d.changes</c>, so each side is that SQL over a different <c>d</c>).
    /// </summary>
    public static async Task<BulkPreview> PreviewAsync(TenantSession s, PfaFilter selection, BulkOperation op, CancellationToken ct)
    {
        string Forecast(string changes) => $"""
            (SELECT coalesce(sum({MergedFields.MergedCost("forecast")}) FILTER (WHERE {MergedFields.MergedCountsInKpis}), 0)
             FROM proposed p JOIN pfa_mirror m ON m.id = p.mirror_id CROSS JOIN LATERAL (SELECT p.{changes} AS changes) d)
            """;
        await using var cmd = Command(s, selection, op, null, where => $"""
            {SelectionCtes(op, where, forUpdate: false)}
            SELECT (SELECT count(*) FROM selected)::int, (SELECT count(*) FROM proposed)::int,
                   (SELECT count(*) FROM proposed WHERE changes IS DISTINCT FROM old_changes)::int,
                   {Forecast("old_changes")}, {Forecast("changes")}, (SELECT count(*) FROM selected WHERE out_of_range)::int,
                   (SELECT array_agg(x.pfa_id || ' ' || x.out_of_range ORDER BY x.pfa_id)
                    FROM (SELECT s.data->>'pfaId' AS pfa_id, s.out_of_range FROM selected s WHERE NOT s.eligible
                          ORDER BY s.data->>'pfaId' LIMIT {SkippedLinesShown}) x)
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var skipped = r.IsDBNull(6) ? [] : r.GetFieldValue<string[]>(6).Select(v =>
        {
            var at = v.LastIndexOf(' ');
            return new SkippedLine(v[..at], v[(at + 1)..] == "true" ? ReasonOutOfDateRange : Rule(op.Kind));
        }).ToList();
        return new BulkPreview(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), r.GetDecimal(3), r.GetDecimal(4), r.GetInt32(5), skipped);
    }
}
