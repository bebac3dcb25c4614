using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Pfa.Tests.Legacy;

/// <summary>
/// A legacy data set written in both documented forms (legacy-data.md §1, §3): the SQLite database as Prisma left it
/// (DATETIME as INTEGER Unix ms, BOOLEAN 0/1, the migrations' DDL) and the JSON export (ISO dates, true/false, manifest with
/// SHA-256 over the compact JSON.stringify text). Values are typed here once, so both forms hold the same data.
/// </summary>
public sealed class LegacyData
{
    /// <summary>The migrations' tables, in the export's order (one place: the generator's).</summary>
    public static readonly (string Table, string Ddl)[] Schema = Pfa.Ops.LegacyGenerator.Schema;

    public Dictionary<string, List<Dictionary<string, object?>>> Tables { get; } = Schema.ToDictionary(s => s.Table, _ => new List<Dictionary<string, object?>>());

    public LegacyData Add(string table, params (string Column, object? Value)[] values)
    {
        Tables[table].Add(values.ToDictionary(v => v.Column, v => v.Value));
        return this;
    }

    /// <summary>The database file; the unique indexes of the migrations are left out so that a broken data set can be written.</summary>
    public string WriteSqlite(string path)
    {
        if (File.Exists(path)) File.Delete(path);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var tx = connection.BeginTransaction();
        foreach (var (table, ddl) in Schema)
        {
            if (!Tables.ContainsKey(table)) continue; // a broken set may lack a table
            using (var create = connection.CreateCommand()) { create.CommandText = ddl; create.ExecuteNonQuery(); }
            foreach (var row in Tables[table])
            {
                using var insert = connection.CreateCommand();
                var columns = row.Keys.ToList();
                insert.CommandText = $"INSERT INTO \"{table}\" ({string.Join(',', columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(',', columns.Select((_, i) => "$p" + i))})";
                for (var i = 0; i < columns.Count; i++) insert.Parameters.AddWithValue("$p" + i, Sqlite(row[columns[i]]));
                insert.ExecuteNonQuery();
            }
        }
        using (var prisma = connection.CreateCommand())
        {
            prisma.CommandText = "CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY, migration_name TEXT)";
            prisma.ExecuteNonQuery();
        }
        tx.Commit();
        return path;
    }

    /// <summary>The export folder: table files indented like the real one, checksums over the compact text.</summary>
    public string WriteExport(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(folder)) File.Delete(file);
        var indented = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var compact = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var manifestTables = new JsonArray();
        var listed = new List<string>();
        foreach (var (table, _) in Schema)
        {
            if (!Tables.TryGetValue(table, out var rows)) continue;
            var data = new JsonArray(rows.Select(r => (JsonNode)new JsonObject(r.Select(c => KeyValuePair.Create(c.Key, Json(c.Value))))).ToArray());
            var checksum = Sha256(data.ToJsonString(compact));
            File.WriteAllText(Path.Combine(folder, table + ".json"), new JsonObject
            {
                ["tableName"] = table, ["rowCount"] = rows.Count, ["checksum"] = checksum, ["exportedAt"] = "2025-11-25T10:00:00.000Z", ["data"] = data,
            }.ToJsonString(indented));
            manifestTables.Add(new JsonObject { ["tableName"] = table, ["rowCount"] = rows.Count, ["checksum"] = checksum, ["exportedAt"] = "2025-11-25T10:00:00.000Z" });
            listed.Add($$"""{"tableName":"{{table}}","rowCount":{{rows.Count}},"checksum":"{{checksum}}"}""");
        }
        File.WriteAllText(Path.Combine(folder, "manifest.json"), new JsonObject
        {
            ["version"] = "1.0.0", ["exportedAt"] = "2025-11-25T10:00:00.000Z", ["databaseType"] = "sqlite",
            ["overallChecksum"] = Sha256("[" + string.Join(',', listed) + "]"), ["tables"] = manifestTables,
        }.ToJsonString(indented));
        return folder;
    }

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // Prisma on SQLite: DateTime as INTEGER Unix ms, Boolean as 0/1.
    private static object Sqlite(object? value) => value switch
    {
        null => DBNull.Value,
        DateTimeOffset at => at.ToUnixTimeMilliseconds(),
        bool b => b ? 1L : 0L,
        _ => value,
    };

    // findMany() through JSON.stringify: toISOString() dates, true/false, JavaScript numbers.
    private static JsonNode? Json(object? value) => value switch
    {
        null => null,
        DateTimeOffset at => JsonValue.Create(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        string s => JsonValue.Create(s),
        _ => throw new ArgumentException($"No legacy form for {value.GetType()}"),
    };
}
