using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Npgsql;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// What the database says about the caller right now (loaded once per request by <see cref="SessionValidation"/>), with the
/// caller's memberships in active organizations (<see cref="OrgAccess"/> resolves the route's organization from them).
/// </summary>
public sealed record SessionUser(Guid Id, bool MustChangePassword, bool IsSystemAdmin, IReadOnlyList<CallerMembership> Memberships);

/// <summary>
/// Sessions end at once: every bearer token carries the user's security stamp (claim <c>stamp</c>); each authenticated
/// request compares it and <c>is_active</c> with the user's row (one primary-key lookup, independent of organization
/// size), and in the same round trip reads the caller's memberships (one index lookup per membership). Deactivation, password change or reset and removal of the last membership write a new stamp, so every token
/// issued before fails with 401 on its next request. While <c>must_change_password</c> is set, only the password change
/// and <c>/api/me</c> answer; everything else under /api is 403.
/// </summary>
public static class SessionValidation
{
    public const string StampClaim = "stamp";
    private static readonly object ItemKey = new();

    public static SessionUser? Session(this HttpContext http) => http.Items.TryGetValue(ItemKey, out var v) ? v as SessionUser : null;

    public static async Task OnTokenValidated(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        if (principal.UserId() is not { } id || !Guid.TryParse(principal.FindFirstValue(StampClaim), out var stamp))
        {
            context.Fail("Token without user or stamp.");
            return;
        }
        var db = context.HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        var ct = context.HttpContext.RequestAborted;
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT is_active, security_stamp, must_change_password, is_system_admin FROM users WHERE id = $1") { Parameters = { new() { Value = id } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(CallerMembership.Sql) { Parameters = { new() { Value = id } } });
        await using var r = await batch.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct) || !r.GetBoolean(0) || r.GetGuid(1) != stamp)
        {
            context.Fail("Session ended.");
            return;
        }
        var (mustChange, systemAdmin) = (r.GetBoolean(2), r.GetBoolean(3));
        await r.NextResultAsync(ct);
        context.HttpContext.Items[ItemKey] = new SessionUser(id, mustChange, systemAdmin, await CallerMembership.ReadAsync(r, ct));
    }

    /// <summary>Routes a user with a pending forced change may still call.</summary>
    private static bool AllowedDuringForcedChange(HttpRequest request) =>
        (HttpMethods.IsPost(request.Method) && request.Path.Equals("/api/auth/change-password", StringComparison.OrdinalIgnoreCase)) ||
        (HttpMethods.IsGet(request.Method) && request.Path.Equals("/api/me", StringComparison.OrdinalIgnoreCase)) ||
        request.Path.Equals("/api/auth/login", StringComparison.OrdinalIgnoreCase);

    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Session() is { MustChangePassword: true } && http.Request.Path.StartsWithSegments("/api") && !AllowedDuringForcedChange(http.Request))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Password change required",
                    Detail = "Change your password with POST /api/auth/change-password before using the API.", Type = "password-change-required" },
            });
            return;
        }
        await next();
    });
}
