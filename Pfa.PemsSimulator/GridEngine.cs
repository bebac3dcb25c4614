using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pfa.Pems;
using Pfa.Pems.Grid;

namespace Pfa.PemsSimulator;

/// <summary>Evaluates ADDON_FILTER / MULTIADDON_FILTERS and ADDON_SORT, and writes griddata responses as a stream.</summary>
public static class GridEngine
{
    private sealed record Term(CupfagColumn Column, string Operator, string? Value);

    /// <summary>Builds the row predicate; throws <see cref="ArgumentException"/> for an unknown alias or operator.</summary>
    public static Func<IReadOnlyDictionary<string, string?>, bool> BuildFilter(GridRequest request)
    {
        var checks = new List<Func<IReadOnlyDictionary<string, string?>, bool>>();
        if (request.AddonFilter is { AliasName.Length: > 0 } f) checks.Add(Compile(new GridMultiFilterItem { AliasName = f.AliasName, Operator = f.Operator, Value = f.Value }));
        if (request.MultiAddonFilters?.Filters is { Count: > 0 } terms) checks.Add(CompileMulti(terms.OrderBy(t => t.SeqNum).ToList()));
        return r => checks.TrueForAll(c => c(r));
    }

    /// <summary>Terms joined by AND/OR with LPAREN/RPAREN groups; AND binds tighter than OR, as in SQL.</summary>
    private static Func<IReadOnlyDictionary<string, string?>, bool> CompileMulti(List<GridMultiFilterItem> terms)
    {
        // Tokens: "(" ")" "AND" "OR" and term indexes.
        var tokens = new List<object>();
        var compiled = terms.Select(Compile).ToList();
        for (var i = 0; i < terms.Count; i++)
        {
            if (IsTrue(terms[i].LParen)) tokens.Add("(");
            tokens.Add(i);
            if (IsTrue(terms[i].RParen)) tokens.Add(")");
            if (i < terms.Count - 1) tokens.Add(string.Equals(terms[i].Joiner, "OR", StringComparison.OrdinalIgnoreCase) ? "OR" : "AND");
        }
        return r =>
        {
            var pos = 0;
            var result = Or(r, ref pos);
            return result;
        };

        bool Or(IReadOnlyDictionary<string, string?> r, ref int pos)
        {
            var v = And(r, ref pos);
            while (pos < tokens.Count && tokens[pos] is "OR") { pos++; v = And(r, ref pos) | v; }
            return v;
        }
        bool And(IReadOnlyDictionary<string, string?> r, ref int pos)
        {
            var v = Atom(r, ref pos);
            while (pos < tokens.Count && tokens[pos] is "AND") { pos++; v = Atom(r, ref pos) & v; }
            return v;
        }
        bool Atom(IReadOnlyDictionary<string, string?> r, ref int pos)
        {
            if (pos >= tokens.Count) throw new ArgumentException("MULTIADDON_FILTERS ends with a joiner.");
            if (tokens[pos] is "(")
            {
                pos++;
                var v = Or(r, ref pos);
                if (pos < tokens.Count && tokens[pos] is ")") pos++;
                return v;
            }
            if (tokens[pos] is int i) { pos++; return compiled[i](r); }
            throw new ArgumentException("MULTIADDON_FILTERS parentheses do not balance.");
        }
    }

    private static bool IsTrue(string? s) => s is not null && (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "(" || s == ")" || s == "1");

    private static Func<IReadOnlyDictionary<string, string?>, bool> Compile(GridMultiFilterItem term)
    {
        var column = CupfagGrid.FindByAlias(term.AliasName)
            ?? throw new ArgumentException($"Alias {term.AliasName} is not a column of grid {CupfagGrid.Name}.");
        var op = term.Operator.Trim().ToUpperInvariant();
        var value = term.Value ?? "";
        var alias = column.Alias;
        return op switch
        {
            "BEGINS" => r => (r.GetValueOrDefault(alias) ?? "").StartsWith(value, StringComparison.OrdinalIgnoreCase),
            "CONTAINS" => r => (r.GetValueOrDefault(alias) ?? "").Contains(value, StringComparison.OrdinalIgnoreCase),
            "ENDS" => r => (r.GetValueOrDefault(alias) ?? "").EndsWith(value, StringComparison.OrdinalIgnoreCase),
            "IS EMPTY" => r => string.IsNullOrEmpty(r.GetValueOrDefault(alias)),
            "NOT EMPTY" => r => !string.IsNullOrEmpty(r.GetValueOrDefault(alias)),
            "=" or "!=" or "<>" or "<" or "<=" or ">" or ">=" => CompileComparison(column, op, value),
            _ => throw new ArgumentException($"Operator {term.Operator} is not supported."),
        };
    }

    private static Func<IReadOnlyDictionary<string, string?>, bool> CompileComparison(CupfagColumn column, string op, string value)
    {
        Func<string?, string, int?> compare = column.Type switch
        {
            GridFieldType.Number or GridFieldType.Decimal or GridFieldType.Currency => (a, b) =>
                decimal.TryParse(a, CultureInfo.InvariantCulture, out var x) && decimal.TryParse(b, CultureInfo.InvariantCulture, out var y) ? x.CompareTo(y) : null,
            GridFieldType.Date or GridFieldType.DateTime => (a, b) =>
                TryTime(a, out var x) && TryTime(b, out var y) ? x.CompareTo(y) : null,
            _ => (a, b) => a is null ? null : string.Compare(a, b, StringComparison.OrdinalIgnoreCase),
        };
        if (column.Type is GridFieldType.Date or GridFieldType.DateTime && !TryTime(value, out _))
            throw new ArgumentException($"'{value}' is not a valid date for {column.Alias}.");
        var alias = column.Alias;
        return op switch
        {
            "=" => r => compare(r.GetValueOrDefault(alias), value) == 0,
            "!=" or "<>" => r => compare(r.GetValueOrDefault(alias), value) is not 0,
            "<" => r => compare(r.GetValueOrDefault(alias), value) < 0,
            "<=" => r => compare(r.GetValueOrDefault(alias), value) <= 0,
            ">" => r => compare(r.GetValueOrDefault(alias), value) > 0,
            _ => r => compare(r.GetValueOrDefault(alias), value) >= 0,
        };
    }

    private static readonly string[] TimeFormats = [CupfagGrid.DateTimeFormat, "yyyy-MM-dd HH:mm:ss", CupfagGrid.DateFormat, "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "MM/dd/yyyy"];

    private static bool TryTime(string? s, out DateTime t) =>
        DateTime.TryParseExact(s, TimeFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out t);

    public static IReadOnlyList<IReadOnlyDictionary<string, string?>> Sort(IEnumerable<IReadOnlyDictionary<string, string?>> rows, GridSort? sort)
    {
        var column = CupfagGrid.FindByAlias(sort?.AliasName ?? CupfagGrid.PfaId) ?? CupfagGrid.FindByAlias(CupfagGrid.PfaId)!;
        var desc = string.Equals(sort?.Type, "DESC", StringComparison.OrdinalIgnoreCase);
        var ordered = desc
            ? rows.OrderByDescending(r => r.GetValueOrDefault(column.Alias), StringComparer.Ordinal)
            : rows.OrderBy(r => r.GetValueOrDefault(column.Alias), StringComparer.Ordinal);
        // pfs_id breaks ties so the cursor is stable across pages.
        return ordered.ThenBy(r => r.GetValueOrDefault(CupfagGrid.PfaId), StringComparer.Ordinal).ToList();
    }

    /// <summary>Writes a griddata envelope: METADATA, FIELDS, DATA.ROW[].D[]{n,value}, TOTAL-COUNT, flushing as rows go.</summary>
    public static async Task WriteAsync(Stream body, GridRequest request, IReadOnlyList<IReadOnlyDictionary<string, string?>> page,
        int cursor, long total, bool includeFields, bool includeRows, CancellationToken ct)
    {
        // Relaxed escaping so "+" and "&" go out literally, as PEMS writes them.
        await using var w = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var next = cursor + page.Count;
        var more = includeRows && next < total;
        w.WriteStartObject();
        w.WriteStartObject("Result");
        w.WriteStartObject("ResultData");
        w.WriteStartObject("GRID");

        w.WriteStartObject("METADATA");
        w.WriteString("RECORDS", page.Count.ToString(CultureInfo.InvariantCulture));
        w.WriteString("MORERECORDPRESENT", more ? "+" : "-");
        w.WriteString("CURRENTCURSORPOSITION", next.ToString(CultureInfo.InvariantCulture));
        w.WriteString("CLIENTROWS", page.Count.ToString(CultureInfo.InvariantCulture));
        w.WriteString("GRIDID", request.Grid.GridId);
        w.WriteString("GRIDNAME", request.Grid.GridName);
        w.WriteString("DATASPYID", "100696");
        w.WriteEndObject();

        if (includeFields)
        {
            w.WriteStartObject("FIELDS");
            w.WriteStartArray("FIELD");
            foreach (var c in CupfagGrid.Columns)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Alias);
                w.WriteString("label", c.Label);
                w.WriteString("type", c.Type);
                w.WriteString("aliasnum", AliasNum(c));
                w.WriteString("order", c.Order.ToString(CultureInfo.InvariantCulture));
                w.WriteString("visible", "+");
                w.WriteString("width", "100");
                w.WriteString("sortable", "+");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteStartObject("DATA");
        w.WriteStartArray("ROW");
        for (var i = 0; i < page.Count; i++)
        {
            var row = page[i];
            w.WriteStartObject();
            w.WriteString("id", (cursor + i + 1).ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray("D");
            foreach (var c in CupfagGrid.Columns)
            {
                w.WriteStartObject();
                w.WriteString("n", AliasNum(c));
                w.WriteString("value", row.GetValueOrDefault(c.Alias) ?? "");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            if (w.BytesPending > 32 * 1024) await w.FlushAsync(ct);
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteString("TOTAL-COUNT", total.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject(); // GRID
        w.WriteEndObject(); // ResultData
        w.WriteEndObject(); // Result
        w.WriteStartArray("ErrorAlert");
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    private static readonly string[] AliasNums = CupfagGrid.Columns.Select(c => (c.Order + 1).ToString(CultureInfo.InvariantCulture)).ToArray();

    private static string AliasNum(CupfagColumn c) => AliasNums[c.Order];

    public static PemsEnvelope<object> Error(params string[] messages) =>
        new() { ErrorAlert = messages.Select(m => new PemsAlert("ERROR", m)).ToList() };
}
