using System.Security.Cryptography;
using System.Text;
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

    /// <summary>
    /// The mirror's stored form of a record: its JSON text (serialised straight to UTF-8, the same text
    /// <c>ToJson(record).ToJsonString()</c> gives) and the SHA-256 over exactly that text, the content hash a sync compares.
    /// Every writer of mirror lines (the sync, the legacy import) goes through here, so the same line always hashes the same.
    /// </summary>
    public static (string Text, byte[] Hash) Stored(PfaRecord record)
    {
        var utf8 = JsonSerializer.SerializeToUtf8Bytes(record, Options);
        return (Encoding.UTF8.GetString(utf8), SHA256.HashData(utf8));
    }

    /// <summary>Shallow overlay: each key of <paramref name="changes"/> replaces the base value (the same as jsonb <c>||</c>).</summary>
    public static JsonObject Overlay(JsonObject baseJson, JsonObject? changes)
    {
        var merged = baseJson.DeepClone().AsObject();
        if (changes is null) return merged;
        foreach (var (key, value) in changes) merged[key] = value?.DeepClone();
        return merged;
    }
}
