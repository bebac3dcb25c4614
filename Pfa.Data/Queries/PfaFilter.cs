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

    public static readonly string[] StatusValues = ["forecast", "actualized", "fundsTransferable", "discontinued"];

    /// <summary>Appends <c>AND …</c> clauses over aliases <c>m</c> (mirror) and <c>d</c> (delta), binding every value.</summary>
    public void AppendWhere(StringBuilder sql, NpgsqlCommand cmd)
    {
        void Multi(string field, string[]? values)
        {
            if (values is not { Length: > 0 }) return;
            var p = "f_" + field;
            sql.Append($" AND {MergedFields.Get(field).Merged} = ANY(@{p})");
            cmd.Parameters.Add(new NpgsqlParameter(p, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values });
        }
        void Range(string field, string op, DateOnly? value, string p)
        {
            if (value is null) return;
            sql.Append($" AND {MergedFields.Get(field).Merged} {op} @{p}");
            cmd.Parameters.Add(new NpgsqlParameter(p, NpgsqlDbType.Date) { Value = value.Value });
        }
        Multi("category", Category);
        Multi("class", Class);
        Multi("source", Source);
        Multi("dor", Dor);
        Multi("areaSilo", AreaSilo);
        if (Status is { Length: > 0 })
        {
            sql.Append($" AND {MergedFields.StatusBucket} = ANY(@f_status)");
            cmd.Parameters.Add(new NpgsqlParameter("f_status", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Status });
        }
        Range("forecastStart", ">=", ForecastStartFrom, "f_fs_from");
        Range("forecastStart", "<=", ForecastStartTo, "f_fs_to");
        Range("forecastEnd", ">=", ForecastEndFrom, "f_fe_from");
        Range("forecastEnd", "<=", ForecastEndTo, "f_fe_to");
        Range("originalStart", ">=", PlanStartFrom, "f_ps_from");
        Range("originalStart", "<=", PlanStartTo, "f_ps_to");
        if (!string.IsNullOrWhiteSpace(Search))
        {
            sql.Append($" AND lower(concat_ws(' ', m.pfa_id, m.description, {MergedFields.Get("manufacturer").Merged}, {MergedFields.Get("model").Merged})) LIKE @f_search");
            cmd.Parameters.AddWithValue("f_search", "%" + EscapeLike(Search.Trim().ToLowerInvariant()) + "%");
        }
        if (ChangedOnly)
            // The semi-join lets the planner start from the caller's few deltas instead of probing every mirror row.
            sql.Append(" AND d.id IS NOT NULL AND m.id IN (SELECT y.mirror_id FROM pfa_modification y WHERE y.user_id = @user AND y.organization_id = @org " +
                       $"AND y.state IN ({ModificationState.OpenSqlList}))");
        if (PfaIds is { Length: > 0 })
        {
            sql.Append(" AND m.pfa_id = ANY(@f_ids)");
            cmd.Parameters.Add(new NpgsqlParameter("f_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = PfaIds });
        }
    }

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
