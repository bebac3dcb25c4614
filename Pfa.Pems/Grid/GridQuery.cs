namespace Pfa.Pems.Grid;

/// <summary>What to read from CUPFAG for one organization: an optional changed-since stamp and extra filters.</summary>
public sealed class GridQuery
{
    /// <summary>Only rows whose pfs_lastmodified is at or after this instant (inclusive, so a boundary row is re-read, never missed).</summary>
    public DateTimeOffset? ModifiedSince { get; init; }

    /// <summary>Extra terms ANDed after the organization and changed-since terms.</summary>
    public IReadOnlyList<GridMultiFilterItem> Filters { get; init; } = [];

    public string SortAlias { get; init; } = CupfagGrid.PfaId;

    /// <summary>Rows per page; capped at 10,000 by PEMS.</summary>
    public int? PageSize { get; init; }

    public static string FormatStamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(CupfagGrid.DateTimeFormat, System.Globalization.CultureInfo.InvariantCulture);
}
