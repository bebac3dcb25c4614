using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using MiniExcelLibs;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

public sealed record ImportColumnDto(string Header, string Key, bool Editable);
/// <summary>One data row (spreadsheet row number, header = 1): the fields it would change (my merged value now → the file's) or its errors.</summary>
public sealed record ImportRowDto(int Row, string? PfaId, IReadOnlyList<FieldChangeDto> Changes, IDictionary<string, string[]> Errors);
public sealed record ImportPreviewResponse(string FileName, int Rows, int Valid, int Invalid, int Changing, IReadOnlyList<ImportColumnDto> Columns,
    IReadOnlyList<string> UnmatchedHeaders, IReadOnlyList<ImportRowDto> Items);
public sealed record ImportApplyResponse(string FileName, int Rows, int Applied, int Invalid, string? Label);

/// <summary>
/// Import of forecast changes from CSV or .xlsx (pfa-domain.md §6 Import): headers matched through <see cref="PfaColumns"/>,
/// rows keyed by PFA ID, each row checked by the same draft save path as <c>POST /drafts</c> (<see cref="DraftSaving"/>).
/// Preview changes nothing; apply stores every valid row as ONE undoable draft operation.
/// </summary>
public static class ImportApi
{
    public const long MaxBytes = 5 * 1024 * 1024;
    public const int MaxRows = 20_000;

    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/import").WithTags("Import").RequireAuthorization().WithStandardProblems();
        group.MapPost("/preview", Preview).DisableAntiforgery().Accepts<IFormFile>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("What an import file (CSV or .xlsx, ≤ 5 MB, ≤ 20,000 rows, keyed by PFA ID) would change, per row, with per-row errors and unmatched headers.");
        group.MapPost("/apply", Apply).DisableAntiforgery().Accepts<IFormFile>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Applies every valid row of the file as my drafts, in ONE undoable operation (\"Import forecast.csv (120 lines)\"); invalid rows are skipped and counted.");
        return app;
    }

    /// <summary>The parsed file: matched columns, unmatched headers, and rows as (row number, cells by header).</summary>
    public sealed record ParsedFile(string Name, List<(string Header, PfaColumn Column)> Columns, List<string> Unmatched, List<(int Row, IDictionary<string, object?> Cells)> Rows);

    public static async Task<Results<Ok<ImportPreviewResponse>, ValidationProblem, ProblemHttpResult>> Preview(
        string orgCode, IFormFile? file, ClaimsPrincipal user, OrgAccess access, CancellationToken ct)
    {
        var (parsed, bad) = await ReadAsync(file, ct);
        if (parsed is null) return bad!;
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Import, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct); // read-only: disposed without commit
        var (rows, _) = await CheckAsync(session, parsed, ctx.CanViewFinancials, ct);
        return TypedResults.Ok(new ImportPreviewResponse(parsed.Name, rows.Count, rows.Count(r => r.Errors.Count == 0), rows.Count(r => r.Errors.Count > 0),
            rows.Count(r => r.Errors.Count == 0 && r.Changes.Count > 0),
            parsed.Columns.Select(c => new ImportColumnDto(c.Header, c.Column.Key, c.Column.Editable)).ToList(), parsed.Unmatched, rows));
    }

    public static async Task<Results<Ok<ImportApplyResponse>, ValidationProblem, ProblemHttpResult>> Apply(
        string orgCode, IFormFile? file, string? sessionId, ClaimsPrincipal user, OrgAccess access, EventPublisher events, CancellationToken ct)
    {
        var (parsed, bad) = await ReadAsync(file, ct);
        if (parsed is null) return bad!;
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Import, ct);
        if (ctx is null) return problem!;
        await using var session = await access.BeginAsync(ctx, ct);
        var (rows, check) = await CheckAsync(session, parsed, ctx.CanViewFinancials, ct);
        var label = $"Import {parsed.Name} ({DraftsApi.Lines(check.Pending.Count)})";
        var (saved, removed) = await DraftSaving.WriteAsync(session, check, sessionId, _ => label, ct);
        await session.CommitAsync(ct);
        if (saved + removed > 0) await events.PublishAsync(ctx.OrganizationCode, PfaEvents.DraftsSaved, new { user = ctx.UserId, saved, removed, import = parsed.Name });
        return TypedResults.Ok(new ImportApplyResponse(parsed.Name, rows.Count, saved + removed, rows.Count(r => r.Errors.Count > 0),
            saved + removed > 0 ? label : null));
    }

    /// <summary>
    /// Each row → a draft item (editable fields with a value; read-only fields only checked to be unchanged), then the draft
    /// rules over all items at once. A row with any error is left out entirely. The preview shows per row, for the fields that
    /// differ, my merged value now → the merged value after.
    /// </summary>
    private static async Task<(List<ImportRowDto> Rows, DraftBatchCheck Check)> CheckAsync(TenantSession session, ParsedFile file, bool financials,
        CancellationToken ct)
    {
        var rowErrors = new List<Dictionary<string, string[]>>();
        var items = new List<DraftItem>();
        var readOnly = new List<Dictionary<string, JsonNode?>>();
        foreach (var (_, cells) in file.Rows)
        {
            var errors = new Dictionary<string, string[]>();
            var changes = new JsonObject();
            var fixedValues = new Dictionary<string, JsonNode?>();
            string? pfaId = null;
            foreach (var (header, column) in file.Columns)
            {
                if (!PfaColumns.TryRead(column, cells.TryGetValue(header, out var cell) ? cell : null, out var value, out var empty, out var error))
                {
                    errors[column.Key] = [error!];
                    continue;
                }
                if (empty) continue;
                // A hidden figure is neither set nor compared blind: the row is refused, naming the column.
                if (!financials && FinancialMask.IsFinancial(column.Key))
                {
                    errors[column.Key] = ["Financial figures are hidden for you (permission ViewFinancials)."];
                    continue;
                }
                if (column.Key == "pfaId") pfaId = value!.GetValue<string>();
                else if (column.Editable) changes[column.Key] = value;
                else fixedValues[column.Key] = value;
            }
            if (pfaId is null) errors["pfaId"] = ["The PFA ID is missing."];
            rowErrors.Add(errors);
            items.Add(new DraftItem(pfaId!, changes, null));
            readOnly.Add(fixedValues);
        }

        // Rows with parse errors take no part in the check (their index keeps its place with a null PFA id).
        var checkedItems = items.Select((item, i) => rowErrors[i].Count == 0 ? item : item with { PfaId = null! }).ToList();
        var check = await DraftSaving.CheckAsync(session, checkedItems, ct);
        foreach (var e in check.Errors.Where(e => rowErrors[e.Index].Count == 0))
            foreach (var (field, messages) in e.Errors) rowErrors[e.Index][field] = messages;

        // A read-only field may be present (an exported file) but must not differ from the line's value.
        for (var i = 0; i < items.Count; i++)
        {
            if (rowErrors[i].Count > 0 || !check.Bases.TryGetValue(items[i].PfaId, out var b)) continue;
            var merged = PfaJson.Overlay(b.Data, b.Changes);
            foreach (var (field, value) in readOnly[i])
                if (!DraftRules.SameValue(merged[field], value))
                    rowErrors[i][field] = [$"'{field}' is not editable (PEMS owns it); leave it as it is or drop the column."];
        }

        // Lines with an error anywhere in the file are not written; each line's later rows build on its earlier ones.
        var invalidLines = items.Where((item, i) => rowErrors[i].Count > 0 && item.PfaId is not null && check.Bases.ContainsKey(item.PfaId))
            .Select(item => check.Bases[item.PfaId].MirrorId).ToHashSet();
        foreach (var id in invalidLines) check.Pending.Remove(id);
        for (var i = 0; i < items.Count; i++)
            if (rowErrors[i].Count == 0 && check.Bases.TryGetValue(items[i].PfaId, out var line) && invalidLines.Contains(line.MirrorId))
                rowErrors[i]["pfaId"] = ["Another row of this line has errors: the line is skipped."];

        var rows = new List<ImportRowDto>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var changes = new List<FieldChangeDto>();
            if (rowErrors[i].Count == 0 && check.Bases.TryGetValue(items[i].PfaId, out var b) && check.Pending.TryGetValue(b.MirrorId, out var w))
            {
                var now = PfaJson.Overlay(b.Data, b.Changes);
                var after = PfaJson.Overlay(b.Data, w.Changes);
                foreach (var field in items[i].Changes.Select(c => c.Key))
                    if (!DraftRules.SameValue(now[field], after[field]))
                        changes.Add(new FieldChangeDto(field, now[field]?.DeepClone(), after[field]?.DeepClone()));
            }
            rows.Add(new ImportRowDto(file.Rows[i].Row, items[i].PfaId, changes, rowErrors[i]));
        }
        return (rows, check);
    }

    /// <summary>Reads the upload: CSV or .xlsx (by name, else by content), bounded in size and rows; a bad file is a 400/413, never a 500.</summary>
    private static async Task<(ParsedFile? File, ProblemHttpResult? Problem)> ReadAsync(IFormFile? file, CancellationToken ct)
    {
        static ProblemHttpResult Bad(string detail, int status = StatusCodes.Status400BadRequest) =>
            TypedResults.Problem(statusCode: status, title: status == 413 ? "The file is too large." : "The file cannot be imported.", detail: detail,
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["file"] = [detail] } });
        if (file is null || file.Length == 0) return (null, Bad("Upload a CSV or .xlsx file in the form field 'file'."));
        if (file.Length > MaxBytes) return (null, Bad($"At most {MaxBytes / 1024 / 1024} MB.", StatusCodes.Status413PayloadTooLarge));

        var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        var name = Path.GetFileName(file.FileName ?? "import");
        var isZip = buffer.Length > 4 && buffer.GetBuffer()[0] == (byte)'P' && buffer.GetBuffer()[1] == (byte)'K';
        var ext = Path.GetExtension(name).ToLowerInvariant();
        if (ext is ".xls") return (null, Bad("Old .xls workbooks are not supported: save as .xlsx or CSV."));
        var type = ext == ".xlsx" || (ext != ".csv" && isZip) ? ExcelType.XLSX : ExcelType.CSV;
        if (type == ExcelType.XLSX && !isZip) return (null, Bad("The file is not an .xlsx workbook."));
        try
        {
            var rows = new List<(int, IDictionary<string, object?>)>();
            var rowNumber = 1;
            foreach (IDictionary<string, object?> row in MiniExcel.Query(buffer, useHeaderRow: true, excelType: type))
            {
                rowNumber++;
                if (row.Values.All(v => v is null || v is string s && string.IsNullOrWhiteSpace(s))) continue;
                if (rows.Count == MaxRows) return (null, Bad($"At most {MaxRows:N0} rows."));
                rows.Add((rowNumber, row));
            }
            buffer.Position = 0;
            var headers = MiniExcel.GetColumns(buffer, useHeaderRow: true, excelType: type)?.ToList() ?? [];
            var columns = new List<(string, PfaColumn)>();
            var unmatched = new List<string>();
            foreach (var header in headers.Where(h => !string.IsNullOrWhiteSpace(h)))
            {
                var column = PfaColumns.Match(header);
                if (column is not null && columns.All(c => c.Item2.Key != column.Key)) columns.Add((header, column));
                else if (!PfaColumns.IsStateHeader(header)) unmatched.Add(header);
            }
            if (columns.All(c => c.Item2.Key != "pfaId")) return (null, Bad("No PFA ID column (header \"PFA ID\" or \"pfaId\")."));
            return (new ParsedFile(name, columns, unmatched, rows), null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, Bad($"The file could not be read as {(type == ExcelType.XLSX ? ".xlsx" : "CSV")}: {e.Message}"));
        }
    }
}
