using System.Globalization;
using System.Text;

namespace Pfa.Web.Api;

/// <summary>Filters and sort of the merged list, as the grid and the "all matching" bulk operations use them.</summary>
public sealed record GridQuery
{
    public static readonly string[] SortableFields =
        ["pfaId", "forecastStart", "forecastEnd", "originalStart", "originalEnd", "category", "class", "source", "dor", "areaSilo", "monthlyRate", "purchasePrice", "manufacturer", "model"];
    public static readonly string[] StatusValues = ["forecast", "actualized", "fundsTransferable", "discontinued"];

    public IReadOnlyCollection<string> Class { get; init; } = [];
    public IReadOnlyCollection<string> Category { get; init; } = [];
    public IReadOnlyCollection<string> Source { get; init; } = [];
    public IReadOnlyCollection<string> Dor { get; init; } = [];
    public IReadOnlyCollection<string> AreaSilo { get; init; } = [];
    public IReadOnlyCollection<string> Status { get; init; } = [];
    public DateOnly? ForecastStartFrom { get; init; }
    public DateOnly? ForecastStartTo { get; init; }
    public DateOnly? ForecastEndFrom { get; init; }
    public DateOnly? ForecastEndTo { get; init; }
    public string? Search { get; init; }
    public bool ChangedOnly { get; init; }
    public string Sort { get; init; } = "pfaId";
    public bool Desc { get; init; }

    /// <summary>How many filters are set (for the filter button's badge).</summary>
    public int ActiveFilterCount =>
        new[] { Class.Count, Category.Count, Source.Count, Dor.Count, AreaSilo.Count, Status.Count }.Count(c => c > 0)
        + (ForecastStartFrom is null ? 0 : 1) + (ForecastStartTo is null ? 0 : 1)
        + (ForecastEndFrom is null ? 0 : 1) + (ForecastEndTo is null ? 0 : 1)
        + (string.IsNullOrWhiteSpace(Search) ? 0 : 1) + (ChangedOnly ? 1 : 0);

    public string ToQueryString(string? cursor, int limit)
    {
        var sb = new StringBuilder();
        void Add(string key, string value)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }
        foreach (var v in Class) Add("class", v);
        foreach (var v in Category) Add("category", v);
        foreach (var v in Source) Add("source", v);
        foreach (var v in Dor) Add("dor", v);
        foreach (var v in AreaSilo) Add("areaSilo", v);
        foreach (var v in Status) Add("status", v);
        if (ForecastStartFrom is { } f) Add("forecastStartFrom", f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (ForecastStartTo is { } t) Add("forecastStartTo", t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (ForecastEndFrom is { } ef) Add("forecastEndFrom", ef.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (ForecastEndTo is { } et) Add("forecastEndTo", et.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (!string.IsNullOrWhiteSpace(Search)) Add("search", Search.Trim());
        if (ChangedOnly) Add("changedOnly", "true");
        Add("sort", Sort);
        if (Desc) Add("desc", "true");
        Add("limit", limit.ToString(CultureInfo.InvariantCulture));
        if (cursor is not null) Add("cursor", cursor);
        return sb.ToString();
    }

    public BulkFilter ToBulkFilter()
    {
        static string[]? A(IReadOnlyCollection<string> c) => c.Count == 0 ? null : c.ToArray();
        return new BulkFilter(A(Category), A(Class), A(Source), A(Dor), A(AreaSilo), A(Status), ForecastStartFrom, ForecastStartTo,
            string.IsNullOrWhiteSpace(Search) ? null : Search.Trim(), ChangedOnly ? true : null, ForecastEndFrom, ForecastEndTo);
    }
}
