using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Pfa.Pems.Grid;

/// <summary>
/// Streaming parser for a griddata response. It walks tokens with <see cref="Utf8JsonReader"/> over a
/// refilled buffer, so a 10,000-row page is never held as text or as a DOM: rows are yielded as they close.
/// Tolerant of both row shapes seen in the wild: D:[{n,value}] (spec) and CELL:[{ALIAS_NAME,VALUE}].
/// </summary>
public static class GridPageParser
{
    /// <summary>
    /// Yields the rows of one page; <paramref name="info"/> fills with METADATA, FIELDS, TOTAL-COUNT and ErrorAlert
    /// as they are read, so check it after the enumeration ends.
    /// </summary>
    /// <exception cref="PemsException">Kind MalformedResponse when the body is truncated or not JSON.</exception>
    public static async IAsyncEnumerable<GridRow> ParseAsync(
        Stream stream, GridPageInfo info, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = new ParserState(info);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var filled = 0;
            var final = false;
            while (true)
            {
                if (!final)
                {
                    var read = await ReadSomeAsync(stream, buffer.AsMemory(filled), cancellationToken);
                    if (read == 0) final = true;
                    filled += read;
                }

                int consumed;
                try
                {
                    consumed = state.Step(buffer.AsSpan(0, filled), final);
                }
                catch (JsonException ex)
                {
                    throw Malformed($"PEMS grid response is not valid JSON: {ex.Message}", ex);
                }

                var left = filled - consumed;
                if (left > 0) Buffer.BlockCopy(buffer, consumed, buffer, 0, left);
                filled = left;
                if (filled == buffer.Length)
                {
                    // One token is larger than the buffer: grow rather than fail.
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, bigger, 0, filled);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                foreach (var row in state.Ready) yield return row;
                state.Ready.Clear();

                if (final)
                {
                    if (!state.Complete)
                        throw Malformed("PEMS grid response ended before the JSON document was complete (truncated).", null);
                    yield break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask<int> ReadSomeAsync(Stream stream, Memory<byte> memory, CancellationToken ct)
    {
        try
        {
            return await stream.ReadAsync(memory, ct);
        }
        catch (IOException ex)
        {
            // A connection cut mid-body is a truncated page, which the client retries.
            throw Malformed($"PEMS grid response was cut off: {ex.Message}", ex);
        }
    }

    private static PemsException Malformed(string message, Exception? inner) =>
        new(message, PemsFailureKind.MalformedResponse, innerException: inner);

    private enum Ctx : byte
    {
        Root, Result, ResultData, Grid, Metadata, Fields, FieldArray, FieldObj, Data, RowArray, RowObj,
        CellArray, CellObj, AlertArray, AlertObj, Skip,
    }

    private enum Prop : byte
    {
        Other, Result, ResultData, Grid, Metadata, Fields, Field, Data, Row, Cells, CellKey, CellValue, Id,
        Name, Label, Type, AliasNum, Order, Records, MoreRecords, Cursor, GridId, GridName, TotalCount, ErrorAlert,
        AlertName, AlertMessage,
    }

    private sealed class ParserState(GridPageInfo info)
    {
        private JsonReaderState _reader;
        private readonly Stack<Ctx> _stack = new();
        private Prop _prop;
        private bool _started;

        private string?[] _aliasByNum = [];
        private Dictionary<string, string>? _aliasByKey;

        private string? _rowId;
        private Dictionary<string, string?>? _cells;
        private string? _cellKey;
        private string? _cellValue;

        private string? _fName, _fLabel, _fType, _fAliasNum;
        private int _fOrder;
        private string? _aName, _aMessage;

        public List<GridRow> Ready { get; } = [];
        public bool Complete => _started && _stack.Count == 0;

        public int Step(ReadOnlySpan<byte> data, bool final)
        {
            var reader = new Utf8JsonReader(data, final, _reader);
            while (reader.Read())
            {
                var ctx = _stack.Count == 0 ? Ctx.Root : _stack.Peek();
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        if (_started && _stack.Count == 0)
                            throw new JsonException("Unexpected data after the end of the document.");
                        if (!_started && reader.TokenType == JsonTokenType.StartArray)
                            throw new JsonException("A grid response must be a JSON object, not an array.");
                        var child = !_started ? Ctx.Root : Enter(ctx, reader.TokenType == JsonTokenType.StartArray);
                        _started = true;
                        _stack.Push(child);
                        _prop = Prop.Other;
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        Leave(_stack.Pop());
                        break;
                    case JsonTokenType.PropertyName:
                        _prop = Classify(ref reader, ctx);
                        break;
                    default:
                        if (!_started) throw new JsonException("A grid response must be a JSON object.");
                        Value(ref reader, ctx);
                        break;
                }
            }
            _reader = reader.CurrentState;
            return (int)reader.BytesConsumed;
        }

        private Ctx Enter(Ctx parent, bool array)
        {
            var prop = _prop;
            switch (parent)
            {
                case Ctx.Root when prop == Prop.Result && !array: return Ctx.Result;
                case Ctx.Root or Ctx.Result when prop == Prop.ErrorAlert: return array ? Ctx.AlertArray : Ctx.AlertObj;
                case Ctx.Result when prop == Prop.ResultData: return Ctx.ResultData;
                case Ctx.ResultData when prop == Prop.Grid: return Ctx.Grid;
                case Ctx.Grid when prop == Prop.Metadata: return Ctx.Metadata;
                case Ctx.Grid when prop == Prop.Fields: return Ctx.Fields;
                case Ctx.Grid when prop == Prop.Data: return Ctx.Data;
                case Ctx.Fields when prop == Prop.Field: return array ? Ctx.FieldArray : BeginField();
                case Ctx.FieldArray when !array: return BeginField();
                case Ctx.Data when prop == Prop.Row: return array ? Ctx.RowArray : BeginRow();
                case Ctx.RowArray when !array: return BeginRow();
                case Ctx.RowObj when prop == Prop.Cells && array: return Ctx.CellArray;
                case Ctx.CellArray when !array:
                    _cellKey = null;
                    _cellValue = null;
                    return Ctx.CellObj;
                case Ctx.AlertArray when !array:
                    _aName = _aMessage = null;
                    return Ctx.AlertObj;
                default: return Ctx.Skip;
            }
        }

        private Ctx BeginField()
        {
            _fName = _fLabel = _fType = _fAliasNum = null;
            _fOrder = info.Fields.Count;
            return Ctx.FieldObj;
        }

        private Ctx BeginRow()
        {
            _rowId = null;
            _cells = new Dictionary<string, string?>(Math.Max(info.Fields.Count, 8), StringComparer.Ordinal);
            return Ctx.RowObj;
        }

        private void Leave(Ctx ctx)
        {
            switch (ctx)
            {
                case Ctx.FieldObj when _fName is not null:
                    info.Fields.Add(new GridField(_fName, _fLabel, _fType, _fAliasNum, _fOrder));
                    IndexField(_fName, _fAliasNum);
                    break;
                case Ctx.CellObj when _cellKey is not null && _cells is not null:
                    _cells[_cellKey] = _cellValue;
                    break;
                case Ctx.RowObj when _cells is not null:
                    Ready.Add(new GridRow(_rowId, _cells));
                    _cells = null;
                    break;
                case Ctx.AlertObj:
                    // Any entry in ErrorAlert is a failure, even one whose text we cannot read.
                    info.ErrorAlerts.Add(new PemsAlert(_aName, _aMessage));
                    break;
            }
        }

        private void IndexField(string name, string? aliasNum)
        {
            _aliasByKey ??= new Dictionary<string, string>(StringComparer.Ordinal);
            _aliasByKey[name] = name;
            if (aliasNum is null) return;
            _aliasByKey[aliasNum] = name;
            if (int.TryParse(aliasNum, out var num) && num is >= 0 and < 4096)
            {
                if (num >= _aliasByNum.Length) Array.Resize(ref _aliasByNum, Math.Max(num + 1, _aliasByNum.Length * 2));
                _aliasByNum[num] = name;
            }
        }

        /// <summary>Turns D[].n (alias number, usually) into the column alias without allocating for the common case.</summary>
        private string ResolveCellKey(ref Utf8JsonReader reader)
        {
            if (!reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out int num, out var used)
                && used == reader.ValueSpan.Length && num >= 0 && num < _aliasByNum.Length && _aliasByNum[num] is { } alias)
                return alias;
            var key = RawText(ref reader) ?? "";
            return _aliasByKey is not null && _aliasByKey.TryGetValue(key, out var name) ? name : key;
        }

        private static Prop Classify(ref Utf8JsonReader r, Ctx ctx) => ctx switch
        {
            Ctx.CellObj => r.ValueTextEquals("n"u8) || r.ValueTextEquals("ALIAS_NAME"u8) ? Prop.CellKey
                : r.ValueTextEquals("value"u8) || r.ValueTextEquals("VALUE"u8) ? Prop.CellValue : Prop.Other,
            Ctx.RowObj => r.ValueTextEquals("D"u8) || r.ValueTextEquals("CELL"u8) ? Prop.Cells
                : r.ValueTextEquals("id"u8) ? Prop.Id : Prop.Other,
            Ctx.Root => r.ValueTextEquals("Result"u8) ? Prop.Result
                : r.ValueTextEquals("ErrorAlert"u8) ? Prop.ErrorAlert : Prop.Other,
            Ctx.Result => r.ValueTextEquals("ResultData"u8) ? Prop.ResultData
                : r.ValueTextEquals("ErrorAlert"u8) ? Prop.ErrorAlert : Prop.Other,
            Ctx.ResultData => r.ValueTextEquals("GRID"u8) ? Prop.Grid : Prop.Other,
            Ctx.Grid => r.ValueTextEquals("METADATA"u8) ? Prop.Metadata
                : r.ValueTextEquals("FIELDS"u8) ? Prop.Fields
                : r.ValueTextEquals("DATA"u8) ? Prop.Data
                : r.ValueTextEquals("TOTAL-COUNT"u8) || r.ValueTextEquals("TOTALROWS"u8) ? Prop.TotalCount : Prop.Other,
            Ctx.Metadata => r.ValueTextEquals("RECORDS"u8) ? Prop.Records
                : r.ValueTextEquals("MORERECORDPRESENT"u8) ? Prop.MoreRecords
                : r.ValueTextEquals("CURRENTCURSORPOSITION"u8) ? Prop.Cursor
                : r.ValueTextEquals("GRIDID"u8) ? Prop.GridId
                : r.ValueTextEquals("GRIDNAME"u8) ? Prop.GridName : Prop.Other,
            Ctx.Fields => r.ValueTextEquals("FIELD"u8) ? Prop.Field : Prop.Other,
            Ctx.Data => r.ValueTextEquals("ROW"u8) ? Prop.Row : Prop.Other,
            Ctx.FieldObj => r.ValueTextEquals("name"u8) ? Prop.Name
                : r.ValueTextEquals("label"u8) ? Prop.Label
                : r.ValueTextEquals("type"u8) ? Prop.Type
                : r.ValueTextEquals("aliasnum"u8) ? Prop.AliasNum
                : r.ValueTextEquals("order"u8) ? Prop.Order : Prop.Other,
            Ctx.AlertObj => r.ValueTextEquals("Name"u8) || r.ValueTextEquals("name"u8) ? Prop.AlertName
                : r.ValueTextEquals("Message"u8) || r.ValueTextEquals("message"u8) ? Prop.AlertMessage : Prop.Other,
            _ => Prop.Other,
        };

        private void Value(ref Utf8JsonReader r, Ctx ctx)
        {
            switch (ctx, _prop)
            {
                case (Ctx.CellObj, Prop.CellKey): _cellKey = ResolveCellKey(ref r); break;
                case (Ctx.CellObj, Prop.CellValue): _cellValue = RawText(ref r); break;
                case (Ctx.RowObj, Prop.Id): _rowId = RawText(ref r); break;
                case (Ctx.FieldObj, Prop.Name): _fName = RawText(ref r); break;
                case (Ctx.FieldObj, Prop.Label): _fLabel = RawText(ref r); break;
                case (Ctx.FieldObj, Prop.Type): _fType = RawText(ref r); break;
                case (Ctx.FieldObj, Prop.AliasNum): _fAliasNum = RawText(ref r); break;
                case (Ctx.FieldObj, Prop.Order): _fOrder = int.TryParse(RawText(ref r), out var o) ? o : _fOrder; break;
                case (Ctx.Metadata, Prop.Records): info.Records = ParseInt(RawText(ref r)); break;
                case (Ctx.Metadata, Prop.MoreRecords): info.MoreRecordsPresent = RawText(ref r) is "+" or "true" or "TRUE"; break;
                case (Ctx.Metadata, Prop.Cursor): info.CurrentCursorPosition = ParseInt(RawText(ref r)); break;
                case (Ctx.Metadata, Prop.GridId): info.GridId = RawText(ref r); break;
                case (Ctx.Metadata, Prop.GridName): info.GridName = RawText(ref r); break;
                case (Ctx.Grid, Prop.TotalCount): info.TotalCount = long.TryParse(RawText(ref r), out var t) ? t : null; break;
                case (Ctx.AlertObj, Prop.AlertName): _aName = RawText(ref r); break;
                case (Ctx.AlertObj, Prop.AlertMessage): _aMessage = RawText(ref r); break;
                case (Ctx.AlertArray, _):
                    // Some EAM builds send bare strings in ErrorAlert.
                    info.ErrorAlerts.Add(new PemsAlert(null, RawText(ref r)));
                    break;
            }
            _prop = Prop.Other;
        }

        private static int? ParseInt(string? s) => int.TryParse(s, out var v) ? v : null;

        private static string? RawText(ref Utf8JsonReader r) => r.TokenType switch
        {
            JsonTokenType.String => r.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(r.ValueSpan),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            _ => null,
        };
    }
}
