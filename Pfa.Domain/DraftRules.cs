using System.Text.Json.Nodes;

namespace Pfa.Domain;

/// <summary>Result of checking a draft: the cumulative delta (only fields that differ from base) and field errors.</summary>
public sealed record DraftCheck(JsonObject Changes, PfaRecord Merged, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Turns a user's requested field values into a cumulative delta versus the mirror record and validates the merged line
/// (pfa-domain.md §2.2). A field set back to its base value drops out of the delta.
/// </summary>
public static class DraftRules
{
    public static DraftCheck Check(PfaRecord baseRecord, JsonObject requested)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var baseJson = PfaJson.ToJson(baseRecord);
        var changes = new JsonObject();
        foreach (var (field, value) in requested)
        {
            if (!EditableFields.TryNormalize(field, value, out var normalized, out var error))
            {
                Add(errors, field, error!);
                continue;
            }
            // Cumulative diff: equal to base means "no change" and leaves the delta.
            if (!SameValue(baseJson[field], normalized))
                changes[field] = normalized;
        }

        var merged = PfaJson.FromJson(PfaJson.Overlay(baseJson, changes));
        foreach (var (field, message) in Validate(baseRecord, merged)) Add(errors, field, message);
        return new DraftCheck(changes, merged, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    /// <summary>Rules on the merged line, given the PEMS base it came from.</summary>
    public static IEnumerable<(string Field, string Message)> Validate(PfaRecord baseRecord, PfaRecord merged)
    {
        if (merged.ForecastStart is { } fs && merged.ForecastEnd is { } fe && fs > fe)
            yield return ("forecastEnd", "Forecast end must be on or after forecast start.");
        if (merged.ActualStart is { } a0 && merged.ActualEnd is { } a1 && a0 > a1)
            yield return ("actualEnd", "Actual end must be on or after actual start.");
        if (merged.MonthlyRate < 0) yield return ("monthlyRate", "Must be zero or more.");
        if (merged.PurchasePrice < 0) yield return ("purchasePrice", "Must be zero or more.");
        if (baseRecord.IsDiscontinued && !merged.IsDiscontinued)
            yield return ("isDiscontinued", "A discontinued line cannot be reinstated.");
        if (merged.IsDiscontinued && merged.IsFundsTransferable)
            yield return ("isFundsTransferable", "A line cannot be both discontinued and funds-transferable.");
        if (baseRecord.IsActualized)
        {
            // Equipment is on site: the source is billing reality and the start is locked; only the end may move.
            if (merged.Source != baseRecord.Source) yield return ("source", "The source of an actualized line cannot change.");
            if (merged.ForecastStart != baseRecord.ForecastStart) yield return ("forecastStart", "The start of an actualized line is locked.");
        }
        else if (merged.ActualEnd != baseRecord.ActualEnd)
        {
            yield return ("actualEnd", "Only actualized lines have an actual end to set.");
        }
    }

    // Numbers compare by value (1.50 == 1.5), everything else as JSON.
    public static bool SameValue(JsonNode? a, JsonNode? b)
    {
        if (a is JsonValue va && b is JsonValue vb
            && va.GetValueKind() == System.Text.Json.JsonValueKind.Number && vb.GetValueKind() == System.Text.Json.JsonValueKind.Number)
            return va.GetValue<decimal>() == vb.GetValue<decimal>();
        return JsonNode.DeepEquals(a, b);
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
        list.Add(message);
    }
}
