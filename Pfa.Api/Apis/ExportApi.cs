using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using MiniExcelLibs;
using MiniExcelLibs.OpenXml;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;
using Pfa.Domain;

namespace Pfa.Api.Apis;

public static class ExportApi
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    /// <summary>Upper bound of one grid export (the list's page limit does not apply; the file is written row by row).</summary>
    public const int MaxGridLines = 1_000_000;

    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgCode}/export").WithTags("Export").RequireAuthorization().WithStandardProblems();
        group.MapGet("/forecast.csv", Forecast)
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The caller's changed lines (open deltas) in the original forecast-export layout: PFA ID, Start Date, End Date, Monthly Rate " +
                "(the column stays, blank, for a caller without ViewFinancials). Needs Export; audited.");
        group.MapGet("/grid.xlsx", Grid)
            .Produces<byte[]>(StatusCodes.Status200OK, XlsxType)
            .WithSummary("The filtered grid (same filters and sort as GET /pfa, merged with my drafts) as .xlsx with typed cells: dates, numbers, booleans. " +
                "Needs Export; rate and price cells are empty without ViewFinancials; audited.");
        group.MapGet("/changes.xlsx", Changes)
            .Produces<byte[]>(StatusCodes.Status200OK, XlsxType)
            .WithSummary("My open changes as .xlsx: one row per changed field, PEMS value → mine, with the line's state. Needs Export; money values empty without ViewFinancials; audited.");
        return app;
    }

    public static async Task<Results<FileStreamHttpResult, ValidationProblem, ProblemHttpResult>> Grid(
        string orgCode, [AsParameters] PfaListQuery query, ClaimsPrincipal user, OrgAccess access, HttpContext http, CancellationToken ct)
    {
        var errors = query.Validate();
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Export, ct);
        if (ctx is null) return problem!;
        var sort = MergedFields.Sortable.First(x => string.Equals(x, query.Sort ?? "pfaId", StringComparison.OrdinalIgnoreCase));
        await using var s = await access.BeginAsync(ctx, ct);
        await using var cmd = PfaStore.ListCommand(s, query.ToFilter(), sort, query.Desc ?? false, MaxGridLines, cursor: null, withTotal: false, out _);
        cmd.CommandTimeout = 300;
        IEnumerable<Dictionary<string, object?>> Rows()
        {
            // One query, read row by row while MiniExcel writes: memory stays bounded however many lines match.
            using var r = cmd.ExecuteReader();
            while (r.Read())
                yield return GridRow(JsonNode.Parse(r.GetString(3))!.AsObject(), r.GetString(4), ctx.CanViewFinancials);
        }
        var file = await WriteXlsxAsync(Rows(), "Grid", ct);
        await AuditTrail.RecordAsync(s, new AuditEntry(AuditActions.ExportXlsx, UserId: ctx.UserId, ActorName: ctx.UserName,
            OrganizationId: ctx.OrganizationId, Entity: "grid.xlsx", Details: new { financials = ctx.CanViewFinancials }, Ip: http.ClientIp()), ct);
        await s.CommitAsync(ct);
        return TypedResults.Stream(file, XlsxType, $"pfa_grid_{ctx.OrganizationCode}.xlsx");
    }

    /// <summary>
    /// The one projection of the grid export: every value of a line (costs included) passes here on its way into the file,
    /// so financial masking applies in one place.
    /// </summary>
    public static Dictionary<string, object?> GridRow(JsonObject merged, string state, bool financials)
    {
        var row = new Dictionary<string, object?>(PfaColumns.All.Count + 1, StringComparer.Ordinal);
        foreach (var c in PfaColumns.All) row[c.Label] = financials || c.Type != ColumnType.Money ? Cell(c.Type, merged[c.Key]) : null;
        row[PfaColumns.StateLabel] = state;
        return row;
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Changes(string orgCode, ClaimsPrincipal user, OrgAccess access,
        HttpContext http, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Export, ct);
        if (ctx is null) return problem!;
        await using var s = await access.BeginAsync(ctx, ct);
        await using var cmd = s.Command($"""
            SELECT m.pfa_id, m.description, d.state, d.updated_at, d.changes::text, d.base_values::text
            FROM pfa_modification d JOIN pfa_mirror m ON m.id = d.mirror_id
            WHERE d.organization_id = @org AND d.user_id = @user AND d.state IN ({ModificationState.OpenSqlList}) AND m.deleted_in_pems_at IS NULL
            ORDER BY m.pfa_id
            """);
        cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
        cmd.Parameters.AddWithValue("user", ctx.UserId);
        IEnumerable<Dictionary<string, object?>> Rows()
        {
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var changes = JsonNode.Parse(r.GetString(4))!.AsObject();
                var bases = r.IsDBNull(5) ? new JsonObject() : JsonNode.Parse(r.GetString(5))!.AsObject();
                foreach (var row in ChangeRows(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2),
                             r.GetFieldValue<DateTimeOffset>(3), changes, bases, ctx.CanViewFinancials))
                    yield return row;
            }
        }
        var file = await WriteXlsxAsync(Rows(), "My changes", ct);
        await AuditTrail.RecordAsync(s, new AuditEntry(AuditActions.ExportXlsx, UserId: ctx.UserId, ActorName: ctx.UserName,
            OrganizationId: ctx.OrganizationId, Entity: "changes.xlsx", Details: new { financials = ctx.CanViewFinancials }, Ip: http.ClientIp()), ct);
        await s.CommitAsync(ct);
        return TypedResults.Stream(file, XlsxType, $"pfa_changes_{ctx.OrganizationCode}.xlsx");
    }

    /// <summary>The one projection of the changes export (PEMS value and mine per field; costs included): masking goes here.</summary>
    public static IEnumerable<Dictionary<string, object?>> ChangeRows(string pfaId, string? description, string state, DateTimeOffset changedAt,
        JsonObject changes, JsonObject bases, bool financials)
    {
        foreach (var (field, value) in changes)
        {
            var column = PfaColumns.All.FirstOrDefault(c => c.Key == field);
            var type = column?.Type ?? ColumnType.Text;
            var hidden = type == ColumnType.Money && !financials;
            yield return new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["PFA ID"] = pfaId, ["Description"] = description, ["Field"] = column?.Label ?? field,
                ["PEMS value"] = hidden ? null : Cell(type, bases[field]), ["My value"] = hidden ? null : Cell(type, value),
                [PfaColumns.StateLabel] = state, ["Changed at"] = changedAt.UtcDateTime,
            };
        }
    }

    /// <summary>A JSON value as a typed cell: dates as dates, money as numbers, flags as booleans.</summary>
    private static object? Cell(ColumnType type, JsonNode? value)
    {
        if (value is null || value.GetValueKind() == JsonValueKind.Null) return null;
        return type switch
        {
            ColumnType.Date => DateOnly.ParseExact(value.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture).ToDateTime(TimeOnly.MinValue),
            ColumnType.Money => value.GetValue<decimal>(),
            ColumnType.Flag => value.GetValue<bool>(),
            _ => value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString(),
        };
    }

    /// <summary>
    /// Writes the workbook to a temporary file (deleted when the response stream closes): MiniExcel pulls the rows one by one,
    /// so neither the rows nor the workbook are held in memory, and the response is streamed from disk.
    /// </summary>
    private static async Task<Stream> WriteXlsxAsync(IEnumerable<Dictionary<string, object?>> rows, string sheet, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pfa-export-{Guid.NewGuid():N}.xlsx");
        // MiniExcel's zip writer needs a seekable read/write stream: the temporary file, not the response.
        var config = new OpenXmlConfiguration { EnableAutoWidth = false, FastMode = true };
        await Task.Run(() =>
        {
            using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            MiniExcel.SaveAs(fs, rows, printHeader: true, sheetName: sheet, excelType: ExcelType.XLSX, configuration: config);
        }, ct);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Forecast(string orgCode, ClaimsPrincipal user, OrgAccess access,
        HttpContext http, CancellationToken ct)
    {
        var (ctx, problem) = await access.ResolveAsync(user, orgCode, Need.Export, ct);
        if (ctx is null) return problem!;
        await using var s = await access.BeginAsync(ctx, ct);
        await using var cmd = s.Command($"""
            SELECT m.pfa_id, {MergedFields.Get("forecastStart").Merged}, {MergedFields.Get("forecastEnd").Merged}, {MergedFields.Get("monthlyRate").Merged}
            FROM pfa_mirror m JOIN pfa_modification d ON d.mirror_id = m.id AND d.user_id = @user AND d.state IN ({Pfa.Data.ModificationState.OpenSqlList})
            WHERE m.organization_id = @org
            ORDER BY m.pfa_id
            """);
        cmd.Parameters.AddWithValue("org", ctx.OrganizationId);
        cmd.Parameters.AddWithValue("user", ctx.UserId);
        var csv = new StringBuilder("PFA ID,Start Date,End Date,Monthly Rate\r\n");
        var money = ctx.CanViewFinancials;
        var lines = 0;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                string Date(int i) => r.IsDBNull(i) ? "" : r.GetFieldValue<DateOnly>(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                csv.Append(Quote(r.GetString(0))).Append(',').Append(Date(1)).Append(',').Append(Date(2)).Append(',')
                   .Append(r.IsDBNull(3) || !money ? "" : r.GetDecimal(3).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
                lines++;
            }
        await AuditTrail.RecordAsync(s, new AuditEntry(AuditActions.ExportCsv, UserId: ctx.UserId, ActorName: ctx.UserName,
            OrganizationId: ctx.OrganizationId, Entity: "forecast.csv", Details: new { lines, financials = money }, Ip: http.ClientIp()), ct);
        await s.CommitAsync(ct);
        return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"forecast_export_{ctx.OrganizationCode}.csv");
    }

    // RFC 4180 quoting, and a leading quote against spreadsheet formula injection.
    internal static string Quote(string value)
    {
        if (value.Length > 0 && "=+-@".Contains(value[0])) value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
