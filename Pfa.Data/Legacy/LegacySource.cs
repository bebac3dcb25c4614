using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Pfa.Data.Legacy;

/// <summary>
/// One row of a legacy table, whatever the source: column name → string, long, double, bool or null (SQLite's storage
/// classes; the JSON export's values map onto the same). Columns absent from an older schema simply read as null.
/// </summary>
public sealed class LegacyRow(IReadOnlyDictionary<string, object?> values)
{
    public bool Has(string column) => values.ContainsKey(column);

    public string? Text(string column) => values.GetValueOrDefault(column) switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>BOOLEAN is stored 0/1 in SQLite and true/false in the export.</summary>
    public bool? Bool(string column) => values.GetValueOrDefault(column) switch
    {
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s when s is "1" or "true" => true,
        string s when s is "0" or "false" => false,
        _ => null,
    };

    public double? Number(string column) => values.GetValueOrDefault(column) switch
    {
        long l => l,
        double d => d,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    /// <summary>ISO-8601 (the JSON export), INTEGER Unix milliseconds (Prisma on SQLite) or 'YYYY-MM-DD HH:MM:SS' UTC (SQL default).</summary>
    public DateTimeOffset? Date(string column) => values.GetValueOrDefault(column) switch
    {
        long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
        double ms => DateTimeOffset.FromUnixTimeMilliseconds((long)ms),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) => at,
        _ => null,
    };

    public override string ToString()
    {
        var text = string.Join(", ", values.Take(4).Select(v => $"{v.Key}={v.Value ?? "null"}"));
        return text.Length > 80 ? text[..80] + "…" : text;
    }
}

/// <summary>
/// Where the old system's data comes from: its JSON export folder (verified against the manifest's checksums when opened) or
/// its SQLite database file read directly (read-only). The importer sees only tables and rows.
/// </summary>
public interface ILegacySource : IDisposable
{
    /// <summary>"JSON export (checksums verified)" or "SQLite database": for the report.</summary>
    string Description { get; }

    bool HasTable(string table);

    /// <summary>The rows of a table, streamed; none if the source has no such table.</summary>
    IEnumerable<LegacyRow> Rows(string table);
}

public static class LegacySource
{
    /// <summary>A folder is a JSON export; a file is a SQLite database. Either is checked before it is returned.</summary>
    public static async Task<ILegacySource> OpenAsync(string path, CancellationToken ct = default)
    {
        if (Directory.Exists(path)) return new JsonExportSource(await LegacyExport.ReadAsync(path, ct).ConfigureAwait(false));
        if (File.Exists(path)) return SqliteLegacySource.Open(path);
        throw new LegacyImportException($"{path} is neither an export folder nor a SQLite database file.");
    }

    public static IReadOnlyDictionary<string, object?> Values(JsonElement row)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in row.EnumerateObject())
        {
            values[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => p.Value.TryGetInt64(out var l) ? l : p.Value.GetDouble(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => p.Value.GetRawText(), // a JSON column exported as a value: kept as its text, as SQLite stores it
            };
        }
        return values;
    }
}

internal sealed class JsonExportSource(LegacyExport export) : ILegacySource
{
    public string Description => "JSON export (row counts and SHA-256 checksums verified)";
    public bool HasTable(string table) => export.TableNames.Contains(table);
    public IEnumerable<LegacyRow> Rows(string table) => export.Rows(table).Select(r => new LegacyRow(LegacySource.Values(r)));
    public void Dispose() => export.Dispose();
}

/// <summary>The old database file itself, opened read-only; Prisma's bookkeeping table is ignored.</summary>
internal sealed class SqliteLegacySource : ILegacySource
{
    private readonly SqliteConnection _connection;
    private readonly HashSet<string> _tables;

    private SqliteLegacySource(SqliteConnection connection, HashSet<string> tables) => (_connection, _tables) = (connection, tables);

    public string Description => "SQLite database (read-only)";

    public static SqliteLegacySource Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            connection.Open();
            var tables = new HashSet<string>(StringComparer.Ordinal);
            using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'";
                using var r = cmd.ExecuteReader();
                while (r.Read()) tables.Add(r.GetString(0));
            }
            foreach (var required in LegacyExport.RequiredTables)
                if (!tables.Contains(required)) throw new LegacyImportException($"Table {required} is missing from {path}: nothing can be imported without it.");
            return new SqliteLegacySource(connection, tables);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new LegacyImportException($"{path} cannot be read as a SQLite database: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public bool HasTable(string table) => _tables.Contains(table);

    public IEnumerable<LegacyRow> Rows(string table)
    {
        if (!_tables.Contains(table)) yield break;
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\""; // a name from sqlite_master, quoted
        using var r = cmd.ExecuteReader();
        var names = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToArray();
        while (r.Read())
        {
            var values = new Dictionary<string, object?>(names.Length, StringComparer.Ordinal);
            for (var i = 0; i < names.Length; i++)
                values[names[i]] = r.IsDBNull(i) ? null : r.GetValue(i) is byte[] blob ? Convert.ToBase64String(blob) : r.GetValue(i);
            yield return new LegacyRow(values);
        }
    }

    public void Dispose() => _connection.Dispose();
}
