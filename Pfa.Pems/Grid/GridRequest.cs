using System.Text.Json.Serialization;

namespace Pfa.Pems.Grid;

/// <summary>Body of POST /griddata, in PEMS's upper-case spelling.</summary>
public sealed class GridRequest
{
    [JsonPropertyName("GRID")] public GridSpec Grid { get; set; } = new();
    [JsonPropertyName("ADDON_SORT")] public GridSort? AddonSort { get; set; }
    [JsonPropertyName("ADDON_FILTER")] public GridFilter? AddonFilter { get; set; }
    [JsonPropertyName("MULTIADDON_FILTERS")] public GridMultiFilter? MultiAddonFilters { get; set; }
    [JsonPropertyName("GRID_TYPE")] public GridType GridType { get; set; } = new();
    [JsonPropertyName("LOV_PARAMETER")] public GridLovParameter? LovParameter { get; set; }
    [JsonPropertyName("REQUEST_TYPE")] public string RequestType { get; set; } = GridRequestType.ListData;

    /// <summary>Non-spec offset the original app sent; the simulator honours it, the client uses the cursor.</summary>
    [JsonPropertyName("ROW_OFFSET")] public int? RowOffset { get; set; }
}

public static class GridRequestType
{
    public const string ListData = "LIST.DATA_ONLY.STORED";
    public const string ListCount = "LIST.COUNT.STORED";
    public const string ListHeadOnly = "LIST.HEAD_ONLY.STORED";
    public const string ListHeadData = "LIST.HEAD_DATA.STORED";
}

public sealed class GridSpec
{
    [JsonPropertyName("GRID_NAME")] public string GridName { get; set; } = CupfagGrid.Name;
    [JsonPropertyName("GRID_ID")] public string GridId { get; set; } = CupfagGrid.Id;
    [JsonPropertyName("NUMBER_OF_ROWS_FIRST_RETURNED")] public int NumberOfRowsFirstReturned { get; set; } = CupfagGrid.MaxPageSize;
    [JsonPropertyName("CURSOR_POSITION")] public int? CursorPosition { get; set; }
    [JsonPropertyName("RESULT_IN_SAXORDER")] public string ResultInSaxOrder { get; set; } = "TRUE";
}

public sealed class GridSort
{
    [JsonPropertyName("ALIAS_NAME")] public string AliasName { get; set; } = CupfagGrid.PfaId;
    [JsonPropertyName("TYPE")] public string Type { get; set; } = "ASC";
}

public sealed class GridType
{
    [JsonPropertyName("TYPE")] public string Type { get; set; } = "LIST";
}

public sealed class GridLovParameter
{
    [JsonPropertyName("ALIAS_NAME")] public string AliasName { get; set; } = CupfagGrid.PfaId;
}

/// <summary>Operators PEMS grids accept in ADDON_FILTER / MADDON_FILTER.</summary>
public static class GridFilterOperator
{
    public const string Equal = "=";
    public const string NotEqual = "!=";
    public const string Less = "<";
    public const string LessOrEqual = "<=";
    public const string Greater = ">";
    public const string GreaterOrEqual = ">=";
    public const string Begins = "BEGINS";
    public const string Contains = "CONTAINS";
    public const string Ends = "ENDS";
    public const string IsEmpty = "IS EMPTY";
    public const string NotEmpty = "NOT EMPTY";
}

public sealed class GridFilter
{
    [JsonPropertyName("ALIAS_NAME")] public string AliasName { get; set; } = "";
    [JsonPropertyName("OPERATOR")] public string Operator { get; set; } = GridFilterOperator.Equal;
    [JsonPropertyName("VALUE")] public string? Value { get; set; }
}

public sealed class GridMultiFilter
{
    [JsonPropertyName("MADDON_FILTER")] public List<GridMultiFilterItem> Filters { get; set; } = [];
}

/// <summary>One term of MULTIADDON_FILTERS; LPAREN/RPAREN are "true"/"false", JOINER joins to the next term.</summary>
public sealed class GridMultiFilterItem
{
    [JsonPropertyName("SEQNUM")] public int SeqNum { get; set; }
    [JsonPropertyName("ALIAS_NAME")] public string AliasName { get; set; } = "";
    [JsonPropertyName("OPERATOR")] public string Operator { get; set; } = GridFilterOperator.Equal;
    [JsonPropertyName("VALUE")] public string? Value { get; set; }
    [JsonPropertyName("LPAREN")] public string? LParen { get; set; }
    [JsonPropertyName("RPAREN")] public string? RParen { get; set; }
    [JsonPropertyName("JOINER")] public string? Joiner { get; set; }
}
