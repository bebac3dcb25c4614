namespace Pfa.Pems.Grid;

/// <summary>A column as PEMS describes it in FIELDS.FIELD[].</summary>
public sealed record GridField(string Name, string? Label, string? Type, string? AliasNum, int Order);

/// <summary>
/// One grid row: cells keyed by column alias (resolved from the D[].n alias number through FIELDS).
/// Values stay the raw strings PEMS sent; typing is the mapping's job.
/// </summary>
public sealed class GridRow
{
    private readonly Dictionary<string, string?> _cells;

    public GridRow(string? id, Dictionary<string, string?> cells)
    {
        Id = id;
        _cells = cells;
    }

    public string? Id { get; }
    public IReadOnlyDictionary<string, string?> Cells => _cells;

    public string? this[string alias] => _cells.GetValueOrDefault(alias);
}

/// <summary>METADATA plus TOTAL-COUNT of a grid response.</summary>
public sealed class GridPageInfo
{
    public int? Records { get; set; }
    public bool MoreRecordsPresent { get; set; }
    public int? CurrentCursorPosition { get; set; }
    public string? GridId { get; set; }
    public string? GridName { get; set; }
    public long? TotalCount { get; set; }
    public List<GridField> Fields { get; } = [];
    public List<PemsAlert> ErrorAlerts { get; } = [];
}

/// <summary>A fully parsed page: at most 10,000 rows held as compact rows (never a JSON DOM).</summary>
public sealed record GridPage(GridPageInfo Info, IReadOnlyList<GridRow> Rows, int CursorPosition);
