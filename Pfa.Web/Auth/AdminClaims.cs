using System.Security.Claims;

namespace Pfa.Web.Auth;

public static class AdminClaims
{
    /// <summary>
    /// Shows the administration pages: an Admin in any organization (the API's <c>AdminAccess</c> rule, which decides for real).
    /// </summary>
    public static bool IsSystemAdmin(this ClaimsPrincipal user) => user.GetMemberships().Any(m => m.Role == "Admin");
}
