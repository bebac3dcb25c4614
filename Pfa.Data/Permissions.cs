namespace Pfa.Data;

/// <summary>
/// What a member may do in one organization. A membership's effective set is its role's template, plus the bits granted,
/// minus the bits revoked (<c>memberships.permissions_granted</c> / <c>permissions_revoked</c>): revoked wins.
/// </summary>
[Flags]
public enum Permission
{
    None = 0,
    /// <summary>Monthly rates, purchase prices and every cost figure; without it the API returns them as null.</summary>
    ViewFinancials = 1 << 0,
    Edit = 1 << 1,
    Commit = 1 << 2,
    Sync = 1 << 3,
    Export = 1 << 4,
    Import = 1 << 5,
    /// <summary>Memberships, roles and overrides of this organization's users (org admin).</summary>
    ManageUsers = 1 << 6,
    /// <summary>This organization's audit trail.</summary>
    ViewAudit = 1 << 7,
    /// <summary>The cross-organization portfolio (perm_ViewAllOrgs of the original).</summary>
    ViewAllOrganizations = 1 << 8,
    /// <summary>Organization settings such as its PEMS connection.</summary>
    ManageOrganization = 1 << 9,
}

/// <summary>Role templates and the override arithmetic: the one place both the API's checks and what <c>/me</c> reports come from.</summary>
public static class Permissions
{
    public const Permission All = Permission.ViewFinancials | Permission.Edit | Permission.Commit | Permission.Sync | Permission.Export |
        Permission.Import | Permission.ManageUsers | Permission.ViewAudit | Permission.ViewAllOrganizations | Permission.ManageOrganization;

    /// <summary>Every template shows financials; a per-user revoke is how one member loses them.</summary>
    public static Permission Template(OrgRole role) => role switch
    {
        OrgRole.Viewer => Permission.ViewFinancials | Permission.Export,
        OrgRole.Editor => Permission.ViewFinancials | Permission.Export | Permission.Edit | Permission.Import,
        OrgRole.PortfolioManager => Permission.ViewFinancials | Permission.Export | Permission.Edit | Permission.Import | Permission.Commit | Permission.Sync,
        OrgRole.BeoAnalyst => Permission.ViewFinancials | Permission.Export | Permission.ViewAllOrganizations,
        OrgRole.Admin => All,
        _ => Permission.None,
    };

    public static Permission Effective(OrgRole role, int granted, int revoked) =>
        (Template(role) | (Permission)granted) & ~(Permission)revoked & All;

    /// <summary>Names of the single bits set, in declaration order (what the API reports and accepts).</summary>
    public static IReadOnlyList<string> Names(Permission set) =>
        Enum.GetValues<Permission>().Where(p => p != Permission.None && set.HasFlag(p)).Select(p => p.ToString()).ToList();

    /// <summary>Parses permission names (case-insensitive); unknown names are returned, not thrown.</summary>
    public static (Permission Set, IReadOnlyList<string> Unknown) Parse(IEnumerable<string>? names)
    {
        var set = Permission.None;
        var unknown = new List<string>();
        foreach (var n in names ?? [])
            if (Enum.TryParse<Permission>(n, true, out var p) && p != Permission.None && Enum.IsDefined(p) && !int.TryParse(n, out _)) set |= p;
            else unknown.Add(n);
        return (set, unknown);
    }
}

public static class AuditOutcome
{
    public const string Success = "success", Failure = "failure", Denied = "denied";
    public static readonly string[] All = [Success, Failure, Denied];
}
