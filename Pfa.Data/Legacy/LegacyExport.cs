using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pfa.Data.Legacy;

/// <summary>
/// The old Node system's JSON export (export-sqlite-data.ts): <c>manifest.json</c> plus one <c>&lt;table&gt;.json</c> per table,
/// each <c>{tableName,rowCount,checksum,exportedAt,data:[…]}</c>. Reading verifies everything the export promises before a
/// single row is used: every table file present, row counts, each table's SHA-256 and the manifest's overall checksum.
/// </summary>
public sealed class LegacyExport : IDisposable
{
    /// <summary>Tables an import cannot do without; the others may be absent from an older export.</summary>
    public static readonly string[] RequiredTables = ["users", "organizations", "user_organizations"];

    private readonly Dictionary<string, JsonDocument> _tables;

    private LegacyExport(Dictionary<string, JsonDocument> tables) => _tables = tables;

    public IReadOnlyCollection<string> TableNames => _tables.Keys;

    public void Dispose()
    {
        foreach (var document in _tables.Values) document.Dispose();
    }

    /// <summary>The rows of a table (JSON objects in the export's key order), or none if the export has no such table.</summary>
    public IEnumerable<JsonElement> Rows(string table) =>
        _tables.TryGetValue(table, out var document) ? document.RootElement.GetProperty("data").EnumerateArray() : [];

    public static async Task<LegacyExport> ReadAsync(string folder, CancellationToken ct = default)
    {
        var manifestPath = Path.Combine(folder, "manifest.json");
        if (!File.Exists(manifestPath)) throw new LegacyImportException($"{folder} has no manifest.json: not a legacy JSON export.");
        using var manifest = await ParseAsync(manifestPath, ct).ConfigureAwait(false);
        var root = manifest.RootElement;
        if (!root.TryGetProperty("tables", out var listed) || listed.ValueKind != JsonValueKind.Array)
            throw new LegacyImportException($"{manifestPath} lists no tables.");

        var tables = new Dictionary<string, JsonDocument>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in listed.EnumerateArray())
            {
                var name = entry.GetProperty("tableName").GetString()!;
                var path = Path.Combine(folder, name + ".json");
                if (!File.Exists(path)) throw new LegacyImportException($"Table {name}: {path} is missing (the manifest lists it).");
                var document = await ParseAsync(path, ct).ConfigureAwait(false);
                tables[name] = document;
                Verify(name, document.RootElement, entry);
            }
            foreach (var required in RequiredTables)
                if (!tables.ContainsKey(required)) throw new LegacyImportException($"Table {required} is missing from the export: nothing can be imported without it.");

            // The overall checksum: SHA-256 of JSON.stringify([{tableName,rowCount,checksum}, …]) in manifest order.
            var overall = new NodeJson();
            overall.Raw('[');
            var first = true;
            foreach (var entry in listed.EnumerateArray())
            {
                if (!first) overall.Raw(',');
                first = false;
                overall.Raw("{\"tableName\":");
                overall.String(entry.GetProperty("tableName").GetString()!);
                overall.Raw(",\"rowCount\":");
                overall.Raw(entry.GetProperty("rowCount").GetRawText());
                overall.Raw(",\"checksum\":");
                overall.String(entry.GetProperty("checksum").GetString()!);
                overall.Raw('}');
            }
            overall.Raw(']');
            if (root.TryGetProperty("overallChecksum", out var expected) && overall.Sha256() != expected.GetString())
                throw new LegacyImportException($"manifest.json: overall checksum {overall.Sha256()} does not match {expected.GetString()}: the manifest was altered.");
            return new LegacyExport(tables);
        }
        catch
        {
            foreach (var document in tables.Values) document.Dispose();
            throw;
        }
    }

    private static void Verify(string name, JsonElement file, JsonElement listed)
    {
        if (!file.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new LegacyImportException($"Table {name}: the file has no data array.");
        var count = data.GetArrayLength();
        var manifestCount = listed.GetProperty("rowCount").GetInt64();
        if (count != manifestCount || file.GetProperty("rowCount").GetInt64() != manifestCount)
            throw new LegacyImportException($"Table {name}: {count:N0} rows in the file, but the manifest says {manifestCount:N0}.");
        var hash = NodeJson.Sha256Of(data);
        var expected = listed.GetProperty("checksum").GetString();
        if (hash != expected || file.GetProperty("checksum").GetString() != expected)
            throw new LegacyImportException($"Table {name}: SHA-256 of its rows is {hash}, but the manifest says {expected}: the file was altered or damaged.");
    }

    private static async Task<JsonDocument> ParseAsync(string path, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { MaxDepth = 64 }, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new LegacyImportException($"{path} is not valid JSON: {e.Message}", e);
        }
    }
}

/// <summary>
/// Compact JSON exactly as Node's JSON.stringify writes it, hashed as it is written: keys in source order, number tokens as
/// they were, and only '"', '\' and U+0000–U+001F escaped (System.Text.Json would also escape '+', '&amp;' and non-ASCII,
/// and every checksum of the export would differ).
/// </summary>
internal sealed class NodeJson
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly StringBuilder _pending = new();

    public static string Sha256Of(JsonElement element)
    {
        var json = new NodeJson();
        json.Value(element);
        return json.Sha256();
    }

    public void Value(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                Raw('{');
                var first = true;
                foreach (var property in element.EnumerateObject())
                {
                    if (!first) Raw(',');
                    first = false;
                    String(property.Name);
                    Raw(':');
                    Value(property.Value);
                }
                Raw('}');
                break;
            case JsonValueKind.Array:
                Raw('[');
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!firstItem) Raw(',');
                    firstItem = false;
                    Value(item);
                }
                Raw(']');
                break;
            case JsonValueKind.String:
                String(element.GetString()!);
                break;
            default:
                Raw(element.GetRawText()); // numbers as written, true, false, null
                break;
        }
    }

    public void String(string value)
    {
        _pending.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': _pending.Append("\\\""); break;
                case '\\': _pending.Append("\\\\"); break;
                case '\b': _pending.Append("\\b"); break;
                case '\f': _pending.Append("\\f"); break;
                case '\n': _pending.Append("\\n"); break;
                case '\r': _pending.Append("\\r"); break;
                case '\t': _pending.Append("\\t"); break;
                case < ' ': _pending.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: _pending.Append(c); break;
            }
        }
        _pending.Append('"');
        FlushIfLarge();
    }

    public void Raw(char c) => _pending.Append(c);

    public void Raw(string text)
    {
        _pending.Append(text);
        FlushIfLarge();
    }

    public string Sha256()
    {
        Flush();
        return Convert.ToHexStringLower(_hash.GetCurrentHash());
    }

    private void FlushIfLarge()
    {
        if (_pending.Length > 1 << 16) Flush();
    }

    private void Flush()
    {
        // Whole strings only reach here, so no surrogate pair is split between two flushes.
        _hash.AppendData(Encoding.UTF8.GetBytes(_pending.ToString()));
        _pending.Clear();
    }
}

public sealed class LegacyImportException : Exception
{
    public LegacyImportException(string message) : base(message) { }
    public LegacyImportException(string message, Exception inner) : base(message, inner) { }
}
