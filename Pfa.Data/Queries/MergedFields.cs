namespace Pfa.Data.Queries;

/// <summary>
/// Filterable/sortable fields and the SQL that yields their merged value (the caller's delta <c>d.changes</c> over the
/// mirror's stored column). Names come only from this whitelist, never from request text, so the SQL stays injection-free.
/// </summary>
public static class MergedFields
{
    public sealed record Field(string Name, string Column, string SqlType, bool Editable)
    {
        /// <summary>Merged value: the delta's value when it has the key, else the mirror's stored typed column.</summary>
        public string Merged => Editable
            ? $"(CASE WHEN d.changes ? '{Name}' THEN {Cast($"d.changes->>'{Name}'")} ELSE m.{Column} END)"
            : $"m.{Column}";

        public string Base => $"m.{Column}";

        /// <summary>Never-null form for keyset comparisons.</summary>
        public string SortKey => SqlType switch
        {
            "date" => $"coalesce({Merged}, '-infinity'::date)",
            "numeric" => $"coalesce({Merged}, -1)",
            "boolean" => $"coalesce({Merged}, false)",
            _ => $"coalesce({Merged}, '')",
        };

        /// <summary>
        /// Whether <paramref name="text"/> is a value <see cref="SortKey"/> can produce (as text): a forged keyset cursor is refused
        /// here, before PostgreSQL would fail to cast it.
        /// </summary>
        public bool AcceptsSortText(string text) => SqlType switch
        {
            "date" => text == "-infinity" || DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.None, out _),
            "numeric" => decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _),
            "boolean" => text is "true" or "false",
            _ => !text.Contains('\0'),
        };

        public string Cast(string textExpr) => SqlType switch
        {
            "date" => $"pfa_to_date({textExpr})",
            "numeric" => $"({textExpr})::numeric",
            "boolean" => $"({textExpr})::boolean",
            _ => textExpr,
        };
    }

    public static readonly IReadOnlyDictionary<string, Field> All = new[]
    {
        new Field("pfaId", "pfa_id", "text", false),
        new Field("areaSilo", "area_silo", "text", false),
        new Field("description", "description", "text", false),
        new Field("category", "category", "text", true),
        new Field("class", "class", "text", true),
        new Field("source", "source", "text", true),
        new Field("dor", "dor", "text", true),
        new Field("manufacturer", "manufacturer", "text", true),
        new Field("model", "model", "text", true),
        new Field("monthlyRate", "monthly_rate", "numeric", true),
        new Field("purchasePrice", "purchase_price", "numeric", true),
        new Field("isActualized", "is_actualized", "boolean", false),
        new Field("isDiscontinued", "is_discontinued", "boolean", true),
        new Field("isFundsTransferable", "is_funds_transferable", "boolean", true),
        new Field("hasActuals", "has_actuals", "boolean", false),
        new Field("originalStart", "original_start", "date", false),
        new Field("originalEnd", "original_end", "date", false),
        new Field("forecastStart", "forecast_start", "date", true),
        new Field("forecastEnd", "forecast_end", "date", true),
        new Field("actualStart", "actual_start", "date", false),
        new Field("actualEnd", "actual_end", "date", true),
    }.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public static readonly string[] Sortable =
        ["pfaId", "forecastStart", "forecastEnd", "originalStart", "originalEnd", "category", "class", "source", "dor", "areaSilo", "monthlyRate", "purchasePrice", "manufacturer", "model"];

    public static readonly string[] Groupable = ["source", "category", "class", "dor", "areaSilo"];

    public static Field Get(string name) => All[name];

    /// <summary>Cost of the merged line per layer, via the SQL twin of Pfa.Domain.CostRules.</summary>
    public static string MergedCost(string layer) => layer switch
    {
        "plan" => $"pfa_cost({Get("source").Merged}, {Get("originalStart").Merged}, {Get("originalEnd").Merged}, {Get("monthlyRate").Merged}, {Get("purchasePrice").Merged})",
        "forecast" => $"pfa_cost({Get("source").Merged}, {Get("forecastStart").Merged}, {Get("forecastEnd").Merged}, {Get("monthlyRate").Merged}, {Get("purchasePrice").Merged})",
        "actual" => $"(CASE WHEN m.has_actuals THEN pfa_cost({Get("source").Merged}, {Get("actualStart").Merged}, {Get("actualEnd").Merged}, {Get("monthlyRate").Merged}, {Get("purchasePrice").Merged}) ELSE 0 END)",
        _ => throw new ArgumentOutOfRangeException(nameof(layer)),
    };

    /// <summary>Whether the merged line counts in the KPIs (the exclusions of Pfa.Domain.KpiRules: discontinued, funds-transferable).</summary>
    public static string MergedCountsInKpis =>
        $"NOT coalesce({Get("isDiscontinued").Merged}, false) AND NOT coalesce({Get("isFundsTransferable").Merged}, false)";

    public static string BaseCost(string layer) => layer switch
    {
        "plan" => "pfa_cost(m.source, m.original_start, m.original_end, m.monthly_rate, m.purchase_price)",
        "forecast" => "pfa_cost(m.source, m.forecast_start, m.forecast_end, m.monthly_rate, m.purchase_price)",
        "actual" => "(CASE WHEN m.has_actuals THEN pfa_cost(m.source, m.actual_start, m.actual_end, m.monthly_rate, m.purchase_price) ELSE 0 END)",
        _ => throw new ArgumentOutOfRangeException(nameof(layer)),
    };

    /// <summary>Status bucket with the original precedence: Discontinued &gt; Actualized &gt; Funds Transferable &gt; Forecast.</summary>
    public static string StatusBucket(Func<string, string> value) =>
        $"(CASE WHEN {value("isDiscontinued")} THEN 'discontinued' WHEN m.is_actualized THEN 'actualized' " +
        $"WHEN {value("isFundsTransferable")} THEN 'fundsTransferable' ELSE 'forecast' END)";

    /// <summary>
    /// What text search matches, over merged values: the same expression as the mirror's stored <c>search_text</c> column,
    /// so a line without a delta matches on the stored column (and its trigram index) exactly as it does here.
    /// </summary>
    public static string SearchText =>
        $"lower(m.pfa_id || ' ' || coalesce(m.description, '') || ' ' || coalesce({Get("manufacturer").Merged}, '') || ' ' || coalesce({Get("model").Merged}, ''))";

    /// <summary>
    /// The join that brings in only the caller's own open delta (at most one, by the partial unique index).
    /// LATERAL … LIMIT 1 cannot be flattened, so the plan is always one index probe per mirror row; measured with a plain
    /// LEFT JOIN, stale statistics on a fast-growing pfa_modification made PostgreSQL pick a materialised nested loop that
    /// compared every mirror row with every delta (10.8 s for a 50k-line sort; see docs/data-model.md).
    /// </summary>
    public const string DeltaJoin =
        "LEFT JOIN LATERAL (SELECT x.id, x.changes, x.state, x.base_values, x.base_mirror_version FROM pfa_modification x " +
        $"WHERE x.mirror_id = m.id AND x.user_id = @user AND x.state IN ({ModificationState.OpenSqlList}) LIMIT 1) d ON true";
}
