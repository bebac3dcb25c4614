using System.Globalization;
using Pfa.Pems.Grid;

namespace Pfa.Pems.Mapping;

/// <summary>
/// A grid row in neutral, typed form: PFA field → value (string, decimal, long, DateOnly, DateTimeOffset, bool or null),
/// the raw cells it came from, and why it was rejected if it was.
/// </summary>
public sealed record PemsNormalizedRow(
    string? PfaId,
    string? Organization,
    DateTimeOffset? LastModified,
    IReadOnlyDictionary<string, object?> Fields,
    IReadOnlyDictionary<string, string?> Raw,
    IReadOnlyList<string> Rejections)
{
    public bool IsValid => Rejections.Count == 0;

    /// <summary>PEMS's version stamp as text (the last-modified instant, UTC, ms precision).</summary>
    public string? PemsVersion => LastModified is { } lm ? GridQuery.FormatStamp(lm) : null;

    public T? Get<T>(string field) => Fields.TryGetValue(field, out var v) && v is T t ? t : default;
}

/// <summary>Applies a <see cref="PemsFieldMapping"/> to grid rows; a malformed row is rejected with reasons, never thrown.</summary>
public sealed class PemsRowNormalizer(PemsFieldMapping mapping)
{
    private readonly string[] _dateFormats = [.. mapping.DateFormats];
    private readonly string[] _timestampFormats = [.. mapping.TimestampFormats];

    public PemsNormalizedRow Normalize(GridRow row)
    {
        var fields = new Dictionary<string, object?>(mapping.Rules.Count, StringComparer.Ordinal);
        List<string>? rejections = null;

        foreach (var rule in mapping.Rules)
        {
            var raw = row[rule.Source];
            if (string.IsNullOrWhiteSpace(raw)) raw = rule.Default;
            if (string.IsNullOrWhiteSpace(raw))
            {
                if (rule.Required) (rejections ??= []).Add($"{rule.Target} ({rule.Source}) is missing");
                fields[rule.Target] = rule.Conversion == PemsValueConversion.Flag ? false : null;
                continue;
            }

            if (TryConvert(rule, raw.Trim(), out var value, out var error)) fields[rule.Target] = value;
            else
            {
                fields[rule.Target] = null;
                (rejections ??= []).Add($"{rule.Target} ({rule.Source}) {error}");
            }
        }

        return new PemsNormalizedRow(
            fields.GetValueOrDefault(PfaFieldNames.PfaId) as string,
            fields.GetValueOrDefault(PfaFieldNames.Organization) as string,
            fields.GetValueOrDefault(PfaFieldNames.LastModified) as DateTimeOffset?,
            fields, row.Cells, (IReadOnlyList<string>?)rejections ?? []);
    }

    private bool TryConvert(PemsFieldRule rule, string raw, out object? value, out string? error)
    {
        error = null;
        value = null;
        switch (rule.Conversion)
        {
            case PemsValueConversion.Text:
                value = raw;
                return true;
            case PemsValueConversion.Decimal:
                if (decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var d)) { value = d; return true; }
                error = $"'{raw}' is not a number";
                return false;
            case PemsValueConversion.Integer:
                if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) { value = l; return true; }
                error = $"'{raw}' is not an integer";
                return false;
            case PemsValueConversion.Date:
                if (DateTime.TryParseExact(raw, _dateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt))
                {
                    value = DateOnly.FromDateTime(dt);
                    return true;
                }
                error = $"'{raw}' is not a date";
                return false;
            case PemsValueConversion.Timestamp:
                if (DateTime.TryParseExact(raw, _timestampFormats, CultureInfo.InvariantCulture,
                        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var ts))
                {
                    value = new DateTimeOffset(DateTime.SpecifyKind(ts, DateTimeKind.Utc));
                    return true;
                }
                error = $"'{raw}' is not a timestamp";
                return false;
            case PemsValueConversion.Flag:
                switch (raw.ToUpperInvariant())
                {
                    case "Y" or "YES" or "TRUE" or "-1" or "1" or "+": value = true; return true;
                    case "N" or "NO" or "FALSE" or "0" or "-": value = false; return true;
                    default: error = $"'{raw}' is not a Y/N flag"; return false;
                }
            case PemsValueConversion.Enum:
                if (rule.ValueMap.TryGetValue(raw, out var mapped)) { value = mapped; return true; }
                error = $"'{raw}' is not one of {string.Join(", ", rule.ValueMap.Keys)}";
                return false;
            default:
                error = $"has an unknown conversion {rule.Conversion}";
                return false;
        }
    }
}
