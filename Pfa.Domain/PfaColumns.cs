using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Pfa.Domain;

public enum ColumnType { Text, Date, Money, Flag }

/// <summary>One column of the grid, the spreadsheet export and the import: API key, grid label, and other names it goes by (PEMS labels, the CSV export's).</summary>
public sealed record PfaColumn(string Key, string Label, ColumnType Type, params string[] Aliases)
{
    public bool Editable => EditableFields.IsEditable(Key);
}

/// <summary>
/// The column catalogue shared by export and import (pfa-domain.md §6 Import): a header matches a column by grid label, API
/// key or PEMS label, compared normalised (case, spaces and punctuation ignored). Values are read leniently — money with
/// <c>$</c> and thousands separators, yes/no/true/false/1/0 flags, ISO or spreadsheet dates.
/// </summary>
public static class PfaColumns
{
    public static readonly IReadOnlyList<PfaColumn> All =
    [
        new("pfaId", "PFA ID", ColumnType.Text, "PFA", "PFS_ID"),
        new("description", "Description", ColumnType.Text),
        new("areaSilo", "Area / silo", ColumnType.Text, "Area/Silo", "Area"),
        new("class", "Class", ColumnType.Text),
        new("category", "Category", ColumnType.Text),
        new("source", "Source", ColumnType.Text),
        new("dor", "DOR", ColumnType.Text),
        new("originalStart", "Plan start", ColumnType.Date, "Est. Start Date (Plan)"),
        new("originalEnd", "Plan end", ColumnType.Date, "Est. End Date (Plan)"),
        new("forecastStart", "Forecast start", ColumnType.Date, "Estimated Start Date", "Start Date"),
        new("forecastEnd", "Forecast end", ColumnType.Date, "Estimated End Date", "End Date"),
        new("actualStart", "Actual start", ColumnType.Date, "Actual Start Date"),
        new("actualEnd", "Actual end", ColumnType.Date, "Actual End Date"),
        new("monthlyRate", "Rate / month", ColumnType.Money, "Rental Rate", "Monthly Rate"),
        new("purchasePrice", "Price", ColumnType.Money, "Purchase Price"),
        new("manufacturer", "Manufacturer", ColumnType.Text),
        new("model", "Model", ColumnType.Text),
        new("isActualized", "Actualized", ColumnType.Flag),
        new("isDiscontinued", "Discontinued", ColumnType.Flag),
        new("isFundsTransferable", "Funds transferable", ColumnType.Flag),
        new("equipment", "Equipment", ColumnType.Text),
        new("contract", "Contract", ColumnType.Text),
    ];

    /// <summary>
    /// The grid header of an API field key ("forecastEnd" → "Forecast end"): what every message names a field by. A validation
    /// path ends in the field ("changes.forecastEnd", "lines[2].monthlyRate" → its header); any other key is returned as is.
    /// </summary>
    public static string LabelOf(string key) => Find(key)?.Label ?? Find(key[(key.LastIndexOf('.') + 1)..])?.Label ?? key;

    private static PfaColumn? Find(string key) => All.FirstOrDefault(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Columns the export writes besides the record's: the line's draft state.</summary>
    public const string StateLabel = "State";

    private static readonly Dictionary<string, PfaColumn> ByName = BuildIndex();

    private static Dictionary<string, PfaColumn> BuildIndex()
    {
        var index = new Dictionary<string, PfaColumn>(StringComparer.Ordinal);
        foreach (var c in All)
            foreach (var name in new[] { c.Key, c.Label }.Concat(c.Aliases))
                index.TryAdd(Normalize(name), c);
        return index;
    }

    /// <summary>Lower case, letters and digits only: "Rate / month", "rate_month" and "RATE MONTH" are one name.</summary>
    public static string Normalize(string header)
    {
        var sb = new StringBuilder(header.Length);
        foreach (var ch in header.Trim())
            if (char.IsLetterOrDigit(ch)) sb.Append(char.ToLowerInvariant(ch));
        return sb.ToString();
    }

    public static PfaColumn? Match(string header) => ByName.GetValueOrDefault(Normalize(header));

    public static bool IsStateHeader(string header) => Normalize(header) is "state" or "draftstate";

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy/MM/dd", "M/d/yyyy", "MM/dd/yyyy", "d.M.yyyy", "yyyyMMdd"];

    /// <summary>
    /// A cell (string from CSV; string, number, date or bool from a spreadsheet) as the field's canonical JSON value.
    /// Empty cells return <c>ok</c> with <paramref name="empty"/> set: the import leaves the field unchanged.
    /// </summary>
    public static bool TryRead(PfaColumn column, object? cell, out JsonNode? value, out bool empty, out string? error)
    {
        value = null;
        error = null;
        empty = cell is null || cell is string s0 && string.IsNullOrWhiteSpace(s0);
        if (empty) return true;
        var text = cell as string;
        switch (column.Type)
        {
            case ColumnType.Date:
                DateOnly date;
                if (cell is DateTime dt) date = DateOnly.FromDateTime(dt);
                else if (cell is DateOnly d0) date = d0;
                else if (cell is double serial and > 0 and < 2_958_466) date = DateOnly.FromDateTime(DateTime.FromOADate(serial));
                else
                {
                    var t = (text ?? Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "").Trim();
                    if (DateOnly.TryParseExact(t, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date)) { }
                    else if (DateTime.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) date = DateOnly.FromDateTime(parsed);
                    else
                    {
                        error = $"'{cell}' is not a date (yyyy-MM-dd).";
                        return false;
                    }
                }
                value = JsonValue.Create(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                return true;
            case ColumnType.Money:
                if (cell is double or decimal or int or long or float)
                {
                    value = JsonValue.Create(Convert.ToDecimal(cell, CultureInfo.InvariantCulture));
                    return true;
                }
                var cleaned = (text ?? Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "").Replace("$", "").Replace(",", "").Trim();
                if (!decimal.TryParse(cleaned, NumberStyles.Number, CultureInfo.InvariantCulture, out var money))
                {
                    error = $"'{cell}' is not an amount.";
                    return false;
                }
                value = JsonValue.Create(money);
                return true;
            case ColumnType.Flag:
                if (cell is bool b) { value = JsonValue.Create(b); return true; }
                if (cell is double n && n is 0 or 1) { value = JsonValue.Create(n == 1); return true; }
                switch ((text ?? Convert.ToString(cell, CultureInfo.InvariantCulture))?.Trim().ToLowerInvariant())
                {
                    case "yes" or "y" or "true" or "1": value = JsonValue.Create(true); return true;
                    case "no" or "n" or "false" or "0": value = JsonValue.Create(false); return true;
                    default: error = $"'{cell}' is not yes/no, true/false or 1/0."; return false;
                }
            default:
                value = JsonValue.Create(text?.Trim() ?? Convert.ToString(cell, CultureInfo.InvariantCulture));
                return true;
        }
    }
}
