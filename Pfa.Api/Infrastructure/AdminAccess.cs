using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Who may administer the whole installation (organizations, SSO provisioning): an active user with <c>users.is_system_admin</c>
/// (the first administrator has it; system admins grant it in user administration).
/// </summary>
public sealed class AdminAccess(PfaDbContext db)
{
    public async Task<bool> IsSystemAdminAsync(Guid userId, CancellationToken ct) =>
        await db.Users.AsNoTracking().AnyAsync(u => u.Id == userId && u.IsActive && u.IsSystemAdmin, ct);

    /// <summary>The caller's user id when a system admin, else the 401/403 to return.</summary>
    public async Task<(Guid? UserId, ProblemHttpResult? Problem)> RequireSystemAdminAsync(ClaimsPrincipal principal, CancellationToken ct)
    {
        if (principal.UserId() is not { } userId)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in."));
        return await IsSystemAdminAsync(userId, ct)
            ? (userId, null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.",
                detail: "Only system administrators manage organizations."));
    }
}
