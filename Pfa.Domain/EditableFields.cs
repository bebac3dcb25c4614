using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pfa.Domain;

public enum FieldKind { Text, Date, Money, Flag, Source, Dor }

/// <summary>
/// The whitelist of fields a user may change in a draft (the PEMS write-back set, pfa-domain.md §2.2).
/// Plan dates, actual start, ids and PEMS stamps are PEMS-owned and never editable.
/// </summary>
public static class EditableFields
{
    public static readonly IReadOnlyDictionary<string, FieldKind> All = new Dictionary<string, FieldKind>(StringComparer.Ordinal)
    {
        ["forecastStart"] = FieldKind.Date,
        ["forecastEnd"] = FieldKind.Date,
        // Actualized lines may only move their end: "Set End Date" moves actualEnd and forecastEnd together.
        ["actualEnd"] = FieldKind.Date,
        ["monthlyRate"] = FieldKind.Money,
        ["purchasePrice"] = FieldKind.Money,
        ["source"] = FieldKind.Source,
        ["dor"] = FieldKind.Dor,
        ["class"] = FieldKind.Text,
        ["category"] = FieldKind.Text,
        ["manufacturer"] = FieldKind.Text,
        ["model"] = FieldKind.Text,
        ["isDiscontinued"] = FieldKind.Flag,
        ["isFundsTransferable"] = FieldKind.Flag,
        ["equipment"] = FieldKind.Text,
        ["contract"] = FieldKind.Text,
    };

    public static bool IsEditable(string field) => All.ContainsKey(field);

    /// <summary>Parses one incoming value to its canonical JSON form, or returns an error message.</summary>
    public static bool TryNormalize(string field, JsonNode? value, out JsonNode? normalized, out string? error)
    {
        normalized = null;
        error = null;
        if (!All.TryGetValue(field, out var kind))
        {
            error = $"'{field}' is not an editable field.";
            return false;
        }
        try
        {
            switch (kind)
            {
                case FieldKind.Date:
                    if (value is null) { error = "A date is required (yyyy-MM-dd)."; return false; }
                    var text = value.GetValue<string>();
                    if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                    { error = "Expected a date as yyyy-MM-dd."; return false; }
                    normalized = JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    return true;
                case FieldKind.Money:
                    if (value is null) { error = "A number is required."; return false; }
                    var m = value.GetValueKind() == JsonValueKind.String
                        ? decimal.Parse(value.GetValue<string>(), NumberStyles.Number, CultureInfo.InvariantCulture)
                        : value.GetValue<decimal>();
                    if (FieldRules.MoneyError(m) is { } moneyError) { error = moneyError; return false; }
                    normalized = JsonValue.Create(m);
                    return true;
                case FieldKind.Flag:
                    if (value is null || value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    { error = "Expected true or false."; return false; }
                    normalized = JsonValue.Create(value.GetValue<bool>());
                    return true;
                case FieldKind.Source:
                    if (value is null || !FieldRules.TryParseName<PfaSource>(value.GetValue<string>(), out var s))
                    { error = "Expected Rental or Purchase."; return false; }
                    normalized = JsonValue.Create(s.ToString());
                    return true;
                case FieldKind.Dor:
                    if (value is null || !FieldRules.TryParseName<Dor>(value.GetValue<string>(), out var o))
                    { error = "Expected BEO or PROJECT."; return false; }
                    normalized = JsonValue.Create(o.ToString());
                    return true;
                default:
                    if (value is null) { normalized = null; return true; }
                    var str = value.GetValue<string>().Trim();
                    if (FieldRules.TextError(str) is { } textError) { error = textError; return false; }
                    normalized = JsonValue.Create(str);
                    return true;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        {
            error = $"Wrong value type for {kind}.";
            return false;
        }
    }
}
