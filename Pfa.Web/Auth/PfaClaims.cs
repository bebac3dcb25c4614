using System.Security.Claims;
using System.Text.Json;
using Pfa.Web.Api;

namespace Pfa.Web.Auth;

public static class PfaClaims
{
    /// <summary>The API bearer token. Lives in the server-side ticket store; the cookie carries only a key.</summary>
    public const string AccessToken = "pfa:access_token";
    public const string Memberships = "pfa:memberships";
    /// <summary>Present when the user may open the cross-organization portfolio (BEO analysts, admins).</summary>
    public const string Portfolio = "pfa:portfolio";
    /// <summary>Present until the user has changed a temporary password: every page but the change page is closed.</summary>
    public const string MustChangePassword = "pfa:must_change_password";
    /// <summary>Present when the user may read the audit trail (system admin, or ViewAudit somewhere).</summary>
    public const string Audit = "pfa:audit";
    /// <summary>Present for system administrators (every user, every organization).</summary>
    public const string SystemAdmin = "pfa:system_admin";
    /// <summary>Present when the user administers users somewhere (system admin, or ManageUsers in an organization).</summary>
    public const string Users = "pfa:users";
    /// <summary>Where the web app sends a user whose API session ended (401): signs the cookie out, then /login.</summary>
    public const string SignedOutPath = "/account/signed-out";
    public const string ChangePasswordPath = "/account/change-password";

    public static ClaimsPrincipal Create(MeResult me, LoginResult login)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, me.Id.ToString()),
            new Claim(ClaimTypes.Name, me.Username),
            new Claim("display_name", me.DisplayName),
            new Claim(AccessToken, login.AccessToken),
            new Claim(Memberships, JsonSerializer.Serialize(me.Organizations, PfaApiClient.Json)),
        ], "pfa-cookie");
        if (me.CanViewPortfolio) identity.AddClaim(new Claim(Portfolio, "true"));
        if (login.MustChangePassword) identity.AddClaim(new Claim(MustChangePassword, "true"));
        if (me.CanViewAudit) identity.AddClaim(new Claim(Audit, "true"));
        if (me.IsSystemAdmin) identity.AddClaim(new Claim(SystemAdmin, "true"));
        if (me.CanManageUsers) identity.AddClaim(new Claim(Users, "true"));
        return new ClaimsPrincipal(identity);
    }

    public static IReadOnlyList<Membership> GetMemberships(this ClaimsPrincipal user) =>
        user.FindFirst(Memberships)?.Value is { } json
            ? JsonSerializer.Deserialize<List<Membership>>(json, PfaApiClient.Json) ?? []
            : [];

    public static bool CanViewPortfolio(this ClaimsPrincipal user) => user.HasClaim(Portfolio, "true");
    public static bool MustChangePasswordFirst(this ClaimsPrincipal user) => user.HasClaim(MustChangePassword, "true");
    public static bool CanViewAudit(this ClaimsPrincipal user) => user.HasClaim(Audit, "true");
    public static bool IsSystemAdmin(this ClaimsPrincipal user) => user.HasClaim(SystemAdmin, "true");
    public static bool CanManageUsers(this ClaimsPrincipal user) => user.HasClaim(Users, "true");

    public static string DisplayName(this ClaimsPrincipal user) =>
        user.FindFirst("display_name")?.Value ?? user.Identity?.Name ?? "";
}
