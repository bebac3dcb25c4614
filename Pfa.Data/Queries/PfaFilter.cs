using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Pfa.Data.Queries;

/// <summary>Filters on merged values (what the caller sees, including their own drafts).</summary>
public sealed record PfaFilter
{
    public string[]? Category { get; init; }
    public string[]? Class { get; init; }
    public string[]? Source { get; init; }
    public string[]? Dor { get; init; }
    public string[]? AreaSilo { get; init; }
    /// <summary>Status buckets: forecast, actualized, fundsTransferable, discontinued.</summary>
    public string[]? Status { get; init; }
    public DateOnly? ForecastStartFrom { get; init; }
    public DateOnly? ForecastStartTo { get; init; }
    public DateOnly? ForecastEndFrom { get; init; }
    public DateOnly? ForecastEndTo { get; init; }
    public DateOnly? PlanStartFrom { get; init; }
    public DateOnly? PlanStartTo { get; init; }
    /// <summary>Case-insensitive substring of PFA id, description, manufacturer or model.</summary>
    public string? Search { get; init; }
    public bool ChangedOnly { get; init; }
    public string[]? PfaIds { get; init; }

    /// <summary>True when some clause reads a merged (delta-dependent) value; otherwise counts can skip the delta join.</summary>
    public bool NeedsDelta =>
        Category is { Length: > 0 } || Class is { Length: > 0 } || Source is { Length: > 0 } || Dor is { Length: > 0 } || Status is { Length: > 0 }
        || ForecastStartFrom is not null || ForecastStartTo is not null || ForecastEndFrom is not null || ForecastEndTo is not null
        || !string.IsNullOrWhiteSpace(Search) || ChangedOnly;

    /// <summary>No clause at all: the whole organization (the KPI roll-up can read its precomputed summaries).</summary>
    public bool IsEmpty => !NeedsDelta && AreaSilo is not { Length: > 0 } && PlanStartFrom is null && PlanStartTo is null && PfaIds is not { Length: > 0 };

    /// <summary>
    /// Only multi-value clauses on the KPI summaries' dimensions (source, category, class, dor, areaSilo): the roll-up can
    /// start from the summaries (<see cref="KpiDimensions"/>). Not for empty text, which the summaries store for a missing
    /// value ('') while the list's filter never matches a missing one.
    /// </summary>
    public bool OnlyKpiDimensions =>
        !IsEmpty && (this with { Source = null, Category = null, Class = null, Dor = null, AreaSilo = null }).IsEmpty
        && KpiDimensions().All(d => d.Values.All(v => v.Length > 0));

    /// <summary>The clauses on the KPI summaries' dimensions, by field name.</summary>
    public IEnumerable<(string Field, string[] Values)> KpiDimensions()
    {
        if (Source is { Length: > 0 }) yield return ("source", Source);
        if (Category is { Length: > 0 }) yield return ("category", Category);
        if (Class is { Length: > 0 }) yield return ("class", Class);
        if (Dor is { Length: > 0 }) yield return ("dor", Dor);
        if (AreaSilo is { Length: > 0 }) yield return ("areaSilo", AreaSilo);
    }

    public static readonly string[] StatusValues = ["forecast", "actualized", "fundsTransferable", "discontinued"];

    /// <summary>
    /// Appends <c>AND …</c> clauses over aliases <c>m</c> (mirror) and <c>d</c> (delta), binding every value.
    /// With <paramref name="mirrorOnly"/> the clauses read the mirror's stored columns only, for rows known to have no delta
    /// of the caller: plain column predicates, so indexes serve them (<see cref="PfaStore"/> splits a merged filter that way).
    /// Calling it twice on one command binds each value once.
    /// </summary>
    public void AppendWhere(StringBuilder sql, NpgsqlCommand cmd, bool mirrorOnly = false)
    {
        string Value(string field) => mirrorOnly ? MergedFields.Get(field).Base : MergedFields.Get(field).Merged;
        void Bind(string name, NpgsqlDbType type, object value)
        {
            if (!cmd.Parameters.Contains(name)) cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
        }
        void Multi(string field, string[]? values)
        {
            if (values is not { Length: > 0 }) return;
            var p = "f_" + field;
            sql.Append($" AND {Value(field)} = ANY(@{p})");
            Bind(p, NpgsqlDbType.Array | NpgsqlDbType.Text, values);
        }
        void Range(string field, string op, DateOnly? value, string p)
        {
            if (value is null) return;
            sql.Append($" AND {Value(field)} {op} @{p}");
            Bind(p, NpgsqlDbType.Date, value.Value);
        }
        Multi("category", Category);
        Multi("class", Class);
        Multi("source", Source);
        Multi("dor", Dor);
        Multi("areaSilo", AreaSilo);
        if (Status is { Length: > 0 })
        {
            sql.Append($" AND {MergedFields.StatusBucket(Value)} = ANY(@f_status)");
            Bind("f_status", NpgsqlDbType.Array | NpgsqlDbType.Text, Status);
        }
        Range("forecastStart", ">=", ForecastStartFrom, "f_fs_from");
        Range("forecastStart", "<=", ForecastStartTo, "f_fs_to");
        Range("forecastEnd", ">=", ForecastEndFrom, "f_fe_from");
        Range("forecastEnd", "<=", ForecastEndTo, "f_fe_to");
        Range("originalStart", ">=", PlanStartFrom, "f_ps_from");
        Range("originalStart", "<=", PlanStartTo, "f_ps_to");
        if (!string.IsNullOrWhiteSpace(Search))
        {
            // Mirror side: the stored search_text through its trigram index (pfa_search_ids; LIKE is not leakproof, so under
            // row-level security the planner would not use the index directly), as an id array so the primary key fetches the
            // few matches (IN (…) made it hash-join every line of the organization). Merged side: the same expression over merged values.
            sql.Append(mirrorOnly ? " AND m.id = ANY (ARRAY(SELECT pfa_search_ids(@org, @f_search)))" : $" AND {MergedFields.SearchText} LIKE @f_search");
            Bind("f_search", NpgsqlDbType.Text, SearchPattern);
        }
        if (ChangedOnly)
            // Rows without a delta of the caller are never "changed"; otherwise the semi-join lets the planner start from the caller's few deltas.
            sql.Append(mirrorOnly ? " AND false" : " AND d.id IS NOT NULL AND m.id IN (SELECT y.mirror_id FROM pfa_modification y WHERE y.user_id = @user AND y.organization_id = @org " +
                       $"AND y.state IN ({ModificationState.OpenSqlList}))");
        if (PfaIds is { Length: > 0 })
        {
            sql.Append(" AND m.pfa_id = ANY(@f_ids)");
            Bind("f_ids", NpgsqlDbType.Array | NpgsqlDbType.Text, PfaIds);
        }
    }

    /// <summary>The LIKE pattern of <see cref="Search"/>: lower-case substring, wildcards in the text escaped.</summary>
    public string SearchPattern => "%" + EscapeLike((Search ?? "").Trim().ToLowerInvariant()) + "%";

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
