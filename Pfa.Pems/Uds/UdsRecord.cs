using System.Globalization;

namespace Pfa.Pems.Uds;

/// <summary>A CUPFA2 record as UDS GET/UPDATE echoes it, with typed accessors over the raw values.</summary>
public sealed class UdsRecord
{
    private readonly Dictionary<string, UdsFieldValue> _fields;

    public UdsRecord(UdsRecordPayload payload)
    {
        Payload = payload;
        _fields = new Dictionary<string, UdsFieldValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in payload.FieldValues.Pairs) _fields[pair.FieldName] = pair.Value;
    }

    public UdsRecordPayload Payload { get; }
    public IReadOnlyDictionary<string, UdsFieldValue> Fields => _fields;

    public string? PfaId => GetText(Cupfa2Screen.PfaId);
    public string? Organization => GetText(Cupfa2Screen.Organization);

    /// <summary>PEMS's last-updated stamp; the write-back compares it with the delta's base.</summary>
    public DateTimeOffset? LastUpdated => GetTimestamp(Cupfa2Screen.LastUpdated);

    public string? GetText(string field) => _fields.GetValueOrDefault(field)?.AsText();

    public decimal? GetDecimal(string field)
    {
        var v = _fields.GetValueOrDefault(field);
        if (v?.NumericData is { } n) return n.ToDecimal();
        return decimal.TryParse(v?.TextData, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : null;
    }

    public DateOnly? GetDate(string field) => _fields.GetValueOrDefault(field)?.DateTimeData?.ToDate();

    public DateTimeOffset? GetTimestamp(string field) => _fields.GetValueOrDefault(field)?.DateTimeData?.ToInstant();

    /// <summary>UDS flags are "true"/"false", grid flags Y/N; accept both.</summary>
    public bool? GetFlag(string field) => _fields.GetValueOrDefault(field)?.TextData?.Trim().ToUpperInvariant() switch
    {
        "TRUE" or "Y" or "YES" or "-1" or "1" => true,
        "FALSE" or "N" or "NO" or "0" => false,
        _ => null,
    };
}
