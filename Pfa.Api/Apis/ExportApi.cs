using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.Data.Queries;

namespace Pfa.Api.Apis;

public static class ExportApi
{
    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/orgs/{orgCode}/export").WithTags("Export").RequireAuthorization().WithStandardProblems()
            .MapGet("/forecast.csv", Forecast)
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary("The caller's changed lines (open deltas) in the original forecast-export layout: PFA ID, Start Date, End Date, Monthly Rate " +
                "(the column stays, blank, for a caller without ViewFinancials). Needs Export; audited.");
        return app;
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
