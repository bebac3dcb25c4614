namespace Pfa.Pems.Grid;

/// <summary>What to read from CUPFAG for one organization: an optional changed-since stamp and extra filters.</summary>
public sealed class GridQuery
{
    /// <summary>Only rows whose pfs_lastmodified is at or after this instant (inclusive, so a boundary row is re-read, never missed).</summary>
    public DateTimeOffset? ModifiedSince { get; init; }

    /// <summary>Extra terms ANDed after the organization and changed-since terms.</summary>
    public IReadOnlyList<GridMultiFilterItem> Filters { get; init; } = [];

    public string SortAlias { get; init; } = CupfagGrid.PfaId;

    /// <summary>
    /// Page by "pfs_id greater than the last one seen" instead of the cursor position. A record deleted in PEMS between
    /// two pages then cannot shift a live record out of the read, which matters when a full read is used to detect
    /// deletions. Requires sorting by pfs_id.
    /// </summary>
    public bool KeysetPaging { get; init; }

    /// <summary>Rows per page; capped at 10,000 by PEMS.</summary>
    public int? PageSize { get; init; }

    public static string FormatStamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(CupfagGrid.DateTimeFormat, System.Globalization.CultureInfo.InvariantCulture);
}
