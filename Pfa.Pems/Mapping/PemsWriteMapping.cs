using System.Globalization;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.Pems.Mapping;

/// <summary>One editable PFA field → one CUPFA2 field.</summary>
public sealed class PemsWriteRule
{
    public string Target { get; set; } = "";
    public string UdsField { get; set; } = "";
    public PemsValueConversion Conversion { get; set; } = PemsValueConversion.Text;

    /// <summary>For enums: PFA spelling → PEMS spelling (e.g. Rental → RENTAL), case-insensitive.</summary>
    public Dictionary<string, string> ValueMap { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The write side of the field map (pfa-domain.md §3.3): turns a delta of typed PFA values into CUPFA2 pairs, and
/// reads the same fields back from a UDS GET so the write-back can compare PEMS's current values with the delta's base.
/// </summary>
public sealed class PemsWriteMapping
{
    /// <summary>Fields the app may change in PEMS (pfa-domain.md §2.2); identity, plan and audit fields are PEMS-owned.</summary>
    public static readonly IReadOnlySet<string> EditableFields = new HashSet<string>(StringComparer.Ordinal)
    {
        PfaFieldNames.ForecastStart, PfaFieldNames.ForecastEnd, PfaFieldNames.MonthlyRate, PfaFieldNames.PurchasePrice,
        PfaFieldNames.Dor, PfaFieldNames.Category, PfaFieldNames.ForecastCategory, PfaFieldNames.Class, PfaFieldNames.Source,
        PfaFieldNames.Manufacturer, PfaFieldNames.Model, PfaFieldNames.IsActualized, PfaFieldNames.IsDiscontinued,
        PfaFieldNames.IsFundsTransferable, PfaFieldNames.Contract, PfaFieldNames.Equipment, PfaFieldNames.Description,
    };

    public List<PemsWriteRule> Rules { get; set; } = [];

    /// <summary>Derived from the read map, so a field is written to the same PEMS column it is read from.</summary>
    public static PemsWriteMapping FromReadMapping(PemsFieldMapping read) => new()
    {
        Rules = read.Rules
            .Where(r => EditableFields.Contains(r.Target))
            .Select(r => (Rule: r, Column: CupfagGrid.FindByAlias(r.Source)))
            .Where(x => x.Column?.UdsField is not null)
            .Select(x => new PemsWriteRule
            {
                Target = x.Rule.Target,
                UdsField = x.Column!.UdsField!,
                Conversion = x.Rule.Conversion,
                ValueMap = x.Rule.ValueMap.GroupBy(kv => kv.Value, StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(g => g.Key, g => g.First().Key, StringComparer.OrdinalIgnoreCase),
            })
            .ToList(),
    };

    public static PemsWriteMapping Default => FromReadMapping(PemsFieldMapping.Default);

    public PemsWriteRule? Find(string target) => Rules.FirstOrDefault(r => r.Target == target);

    /// <summary>UPDATE pairs for a delta. Unknown, read-only or ill-typed fields throw: a bad delta must not half-apply.</summary>
    /// <exception cref="ArgumentException">A field is not writable or its value does not fit the conversion.</exception>
    public List<UdsFieldValuePair> ToUds(IReadOnlyDictionary<string, object?> changes)
    {
        var pairs = new List<UdsFieldValuePair>(changes.Count);
        foreach (var (field, value) in changes)
        {
            var rule = Find(field) ?? throw new ArgumentException($"{field} cannot be written to PEMS.", nameof(changes));
            pairs.Add(new UdsFieldValuePair(rule.UdsField, Encode(rule, value)));
        }
        return pairs;
    }

    private static UdsFieldValue Encode(PemsWriteRule rule, object? value)
    {
        if (value is null) return UdsFieldValue.Text("");
        return (rule.Conversion, value) switch
        {
            (PemsValueConversion.Date, DateOnly d) => UdsFieldValue.Date(d),
            (PemsValueConversion.Timestamp, DateTimeOffset t) => UdsFieldValue.Timestamp(t),
            (PemsValueConversion.Decimal, decimal m) => UdsFieldValue.Number(m),
            (PemsValueConversion.Decimal or PemsValueConversion.Integer, int or long or double) =>
                UdsFieldValue.Number(Convert.ToDecimal(value, CultureInfo.InvariantCulture)),
            (PemsValueConversion.Flag, bool b) => UdsFieldValue.Flag(b),
            (PemsValueConversion.Enum, string s) when rule.ValueMap.TryGetValue(s, out var pems) => UdsFieldValue.Text(pems),
            (PemsValueConversion.Text, string s) => UdsFieldValue.Text(s),
            _ => throw new ArgumentException($"{rule.Target} cannot take the value '{value}' ({value.GetType().Name}).", nameof(value)),
        };
    }

    /// <summary>The typed PFA values of the given fields as PEMS holds them now (from a CUPFA2 GET).</summary>
    public Dictionary<string, object?> FromUds(UdsRecord record, IEnumerable<string> fields)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            var rule = Find(field) ?? throw new ArgumentException($"{field} is not mapped to a CUPFA2 field.", nameof(fields));
            result[field] = rule.Conversion switch
            {
                PemsValueConversion.Date => record.GetDate(rule.UdsField),
                PemsValueConversion.Timestamp => record.GetTimestamp(rule.UdsField),
                PemsValueConversion.Decimal => record.GetDecimal(rule.UdsField),
                PemsValueConversion.Integer => record.GetDecimal(rule.UdsField) is { } n ? (long)n : null,
                PemsValueConversion.Flag => record.GetFlag(rule.UdsField) ?? false,
                PemsValueConversion.Enum => record.GetText(rule.UdsField) is { Length: > 0 } s
                    ? rule.ValueMap.FirstOrDefault(kv => string.Equals(kv.Value, s, StringComparison.OrdinalIgnoreCase)).Key ?? s
                    : null,
                _ => record.GetText(rule.UdsField) is { Length: > 0 } t ? t : null,
            };
        }
        return result;
    }
}
