using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Pfa.Domain;

/// <summary>The one JSON form of a PFA record (camelCase, ISO dates, enum names) used by the mirror, deltas and the API.</summary>
public static class PfaJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static JsonObject ToJson(PfaRecord record) => JsonSerializer.SerializeToNode(record, Options)!.AsObject();

    public static PfaRecord FromJson(JsonObject json) => json.Deserialize<PfaRecord>(Options)
        ?? throw new JsonException("A PFA record cannot be null.");

    public static PfaRecord FromJson(string json) => JsonSerializer.Deserialize<PfaRecord>(json, Options)
        ?? throw new JsonException("A PFA record cannot be null.");

    /// <summary>Shallow overlay: each key of <paramref name="changes"/> replaces the base value (the same as jsonb <c>||</c>).</summary>
    public static JsonObject Overlay(JsonObject baseJson, JsonObject? changes)
    {
        var merged = baseJson.DeepClone().AsObject();
        if (changes is null) return merged;
        foreach (var (key, value) in changes) merged[key] = value?.DeepClone();
        return merged;
    }
}
