using System.Globalization;
using System.Text.Json;

namespace Pfa.Data.Legacy;

public sealed record PlannedUser(string LegacyId, string Username, string DisplayName, string? Email, bool IsActive, bool IsSystemAdmin,
    DateTimeOffset? CreatedAt, string PasswordNote);

public sealed record PlannedOrganization(string LegacyId, string Code, string Name, bool IsActive);

public sealed record PlannedMembership(string UserLegacyId, string OrganizationLegacyId, OrgRole Role, Permission Granted, Permission Revoked);

/// <summary>
/// Users, organizations and memberships of a verified export mapped onto ours, or every reason it cannot be (duplicate
/// keys, orphan memberships, unknown roles), all at once and before anything is written. Policies (legacy-data.md §2, §4):
/// usernames are lower-cased as ours are; legacy passwords are bcrypt, which our hasher cannot verify, so every imported
/// user must set a new password (an empty hash meant "no local password" anyway); users.role 'admin' → system admin;
/// membership owner/admin → Admin, member → Editor, viewer → Viewer; PostgreSQL-era perm_* flags, when present, become
/// per-membership overrides against the role's template.
/// </summary>
public sealed record LegacyPlan(IReadOnlyList<PlannedUser> Users, IReadOnlyList<PlannedOrganization> Organizations, IReadOnlyList<PlannedMembership> Memberships)
{
    private static readonly (string Flag, Permission Permission)[] Flags =
    [
        ("perm_ViewFinancials", Permission.ViewFinancials), ("perm_EditForecast", Permission.Edit), ("perm_SaveDraft", Permission.Edit),
        ("perm_Sync", Permission.Sync | Permission.Commit), ("perm_Export", Permission.Export), ("perm_Import", Permission.Import),
        ("perm_ManageUsers", Permission.ManageUsers), ("perm_ManageSettings", Permission.ManageOrganization),
        ("perm_ViewAllOrgs", Permission.ViewAllOrganizations),
    ];

    public static LegacyPlan Build(LegacyExport export)
    {
        var problems = new List<string>();
        var users = new List<PlannedUser>();
        var usernames = new Dictionary<string, string>(StringComparer.Ordinal);
        var emails = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in export.Rows("users"))
        {
            var id = Text(row, "id");
            var username = Text(row, "username")?.Trim().ToLowerInvariant();
            if (id is null || string.IsNullOrEmpty(username)) { problems.Add($"users: a row without id or username ({Describe(row)})"); continue; }
            if (!usernames.TryAdd(username, id)) problems.Add($"users: username '{username}' is used by {usernames[username]} and {id} (usernames are case-insensitive here)");
            var email = Text(row, "email")?.Trim().ToLowerInvariant();
            if (!string.IsNullOrEmpty(email) && !emails.TryAdd(email, id)) problems.Add($"users: e-mail '{email}' is used by {emails[email]} and {id}");
            var name = string.Join(' ', new[] { Text(row, "firstName"), Text(row, "lastName") }.Where(n => !string.IsNullOrWhiteSpace(n))).Trim();
            var hash = Text(row, "passwordHash") ?? "";
            users.Add(new PlannedUser(id, username, name.Length > 0 ? name : username, string.IsNullOrEmpty(email) ? null : email,
                Bool(row, "isActive") ?? true, Text(row, "role") == "admin", Date(row, "createdAt"),
                hash.Length == 0 ? "no local password in the old system: must set one" : "bcrypt hash cannot be carried over: must set a new password"));
        }

        var organizations = new List<PlannedOrganization>();
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in export.Rows("organizations"))
        {
            var id = Text(row, "id");
            var code = Text(row, "code")?.Trim().ToUpperInvariant();
            if (id is null || string.IsNullOrEmpty(code)) { problems.Add($"organizations: a row without id or code ({Describe(row)})"); continue; }
            if (!codes.TryAdd(code, id)) problems.Add($"organizations: code '{code}' is used by {codes[code]} and {id}");
            organizations.Add(new PlannedOrganization(id, code, (Text(row, "name") ?? code).Trim(), Bool(row, "isActive") ?? true));
        }

        var userIds = users.Select(u => u.LegacyId).ToHashSet(StringComparer.Ordinal);
        var organizationIds = organizations.Select(o => o.LegacyId).ToHashSet(StringComparer.Ordinal);
        var memberships = new List<PlannedMembership>();
        var pairs = new HashSet<(string, string)>();
        foreach (var row in export.Rows("user_organizations"))
        {
            var (id, userId, organizationId) = (Text(row, "id") ?? "?", Text(row, "userId"), Text(row, "organizationId"));
            if (userId is null || !userIds.Contains(userId)) { problems.Add($"user_organizations {id}: user {userId ?? "(none)"} does not exist (orphan membership)"); continue; }
            if (organizationId is null || !organizationIds.Contains(organizationId)) { problems.Add($"user_organizations {id}: organization {organizationId ?? "(none)"} does not exist (orphan membership)"); continue; }
            if (!pairs.Add((userId, organizationId))) { problems.Add($"user_organizations {id}: user {userId} is a member of {organizationId} twice"); continue; }
            OrgRole? role = Text(row, "role")?.Trim().ToLowerInvariant() switch
            {
                "owner" or "admin" or "administrator" => OrgRole.Admin,
                "member" or "editor" => OrgRole.Editor,
                "viewer" => OrgRole.Viewer,
                "portfolio manager" or "portfoliomanager" => OrgRole.PortfolioManager,
                "beo analyst" or "beoanalyst" => OrgRole.BeoAnalyst,
                _ => null,
            };
            if (role is not { } r) { problems.Add($"user_organizations {id}: unknown role '{Text(row, "role")}'"); continue; }
            var (granted, revoked) = Overrides(row, r);
            memberships.Add(new PlannedMembership(userId, organizationId, r, granted, revoked));
        }

        if (problems.Count > 0)
        {
            throw new LegacyImportException($"The export cannot be imported ({problems.Count} problem(s), nothing was written): " +
                string.Join("; ", problems.Take(20)) + (problems.Count > 20 ? $"; and {problems.Count - 20} more" : "") + ".");
        }
        return new LegacyPlan(users, organizations, memberships);
    }

    /// <summary>perm_* flags (PostgreSQL-era exports only) against the role's template; none present → the template as is.</summary>
    private static (Permission Granted, Permission Revoked) Overrides(JsonElement row, OrgRole role)
    {
        if (!Flags.Any(f => row.TryGetProperty(f.Flag, out _))) return (Permission.None, Permission.None);
        var wanted = Flags.Where(f => Bool(row, f.Flag) == true).Aggregate(Permission.None, (set, f) => set | f.Permission);
        var template = Permissions.Template(role);
        // A permission the old system had no flag for (ViewAudit) keeps the role's default.
        var covered = Flags.Aggregate(Permission.None, (set, f) => set | f.Permission);
        wanted |= template & ~covered;
        return (wanted & ~template, template & ~wanted);
    }

    private static string? Text(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool? Bool(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => value.GetDouble() != 0, // SQLite stores 0/1
            _ => null,
        } : null;

    /// <summary>ISO-8601 (the JSON export), INTEGER Unix milliseconds (Prisma on SQLite) or 'YYYY-MM-DD HH:MM:SS' UTC (SQL default).</summary>
    internal static DateTimeOffset? Date(JsonElement row, string name)
    {
        if (!row.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms)) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
    }

    private static string Describe(JsonElement row) => row.GetRawText() is { Length: > 80 } text ? text[..80] + "…" : row.GetRawText();
}
