using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Domain;

namespace Pfa.Data;

/// <summary>
/// Who the acting administrator is: a system admin (every user, every organization) or an org admin (ManageUsers in some
/// organizations: the users who are members there, and memberships there only).
/// </summary>
public sealed record AdminScope(Guid ActorId, string ActorName, bool IsSystemAdmin, IReadOnlySet<Guid> ManagedOrganizations)
{
    public bool IsAdmin => IsSystemAdmin || ManagedOrganizations.Count > 0;
    public bool Manages(Guid organizationId) => IsSystemAdmin || ManagedOrganizations.Contains(organizationId);

    public static async Task<AdminScope?> LoadAsync(PfaDbContext db, Guid userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId && u.IsActive)
            .Select(u => new { u.Username, u.IsSystemAdmin }).FirstOrDefaultAsync(ct);
        if (user is null) return null;
        var managed = (await db.Memberships.AsNoTracking().Where(m => m.UserId == userId)
                .Select(m => new { m.OrganizationId, m.Role, m.PermissionsGranted, m.PermissionsRevoked }).ToListAsync(ct))
            .Where(m => Permissions.Effective(m.Role, m.PermissionsGranted, m.PermissionsRevoked).HasFlag(Permission.ManageUsers))
            .Select(m => m.OrganizationId).ToHashSet();
        return new AdminScope(userId, user.Username, user.IsSystemAdmin, managed);
    }
}

/// <summary>A refused administration request: HTTP status, title, and the request field it concerns.</summary>
public sealed record AdminError(int Status, string Title, string? Field = null, string? Message = null)
{
    public static AdminError Invalid(string field, string message) => new(400, "Invalid request.", field, message);
    public static AdminError NotFound(string what) => new(404, $"{what} not found.");
    public static AdminError Forbidden(string message) => new(403, "Not allowed.", null, message);
    public static AdminError Taken(string field) => new(409, "Already in use.", field, $"Another user has this {field}.");
}

public sealed record UserMembershipView(Guid OrganizationId, string Organization, string Name, OrgRole Role,
    Permission Granted, Permission Revoked, Permission Effective);
public sealed record UserView(Guid Id, string Username, string DisplayName, string? Email, bool IsActive, bool IsSystemAdmin,
    bool MustChangePassword, DateTimeOffset CreatedAt, IReadOnlyList<UserMembershipView> Memberships);

public sealed record NewUser(string? Username, string? DisplayName, string? Email, string? Password, bool IsSystemAdmin,
    string? Organization, OrgRole? Role);
public sealed record UserChanges(string? DisplayName, string? Email, bool? IsSystemAdmin);

/// <summary>
/// User administration rules: validation, scope (system admin vs org admin), uniqueness (lower-cased usernames, emails
/// unique case-insensitively), temporary passwords (forced change), and security-stamp changes that end sessions at once
/// (deactivation, password reset, removal of the last membership). Handlers in Pfa.Api stay thin.
/// </summary>
public sealed class UserAdministration(PfaDbContext db)
{
    public async Task<(IReadOnlyList<UserView> Items, string? NextCursor)> ListAsync(AdminScope scope, string? search, string? after, int limit,
        CancellationToken ct)
    {
        var q = db.Users.AsNoTracking();
        if (!scope.IsSystemAdmin)
        {
            var managed = scope.ManagedOrganizations.ToArray();
            q = q.Where(u => db.Memberships.Any(m => m.UserId == u.Id && managed.Contains(m.OrganizationId)));
        }
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = "%" + search.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            q = q.Where(u => EF.Functions.ILike(u.Username, pattern) || EF.Functions.ILike(u.DisplayName, pattern) ||
                             (u.Email != null && EF.Functions.ILike(u.Email, pattern)));
        }
        if (after is not null) q = q.Where(u => string.Compare(u.Username, after) > 0);
        var users = await q.OrderBy(u => u.Username).Take(limit + 1).ToListAsync(ct);
        var page = users.Take(limit).ToList();
        var views = await ViewsAsync(scope, page, ct);
        return (views, users.Count > limit ? page[^1].Username : null);
    }

    public async Task<(UserView? User, AdminError? Error)> GetAsync(AdminScope scope, Guid id, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null || !await VisibleAsync(scope, id, ct)) return (null, AdminError.NotFound("User"));
        return ((await ViewsAsync(scope, [user], ct))[0], null);
    }

    public async Task<(UserView? User, string? TemporaryPassword, AdminError? Error)> CreateAsync(AdminScope scope, NewUser request, CancellationToken ct)
    {
        var username = request.Username?.Trim().ToLowerInvariant() ?? "";
        if (ValidateUsername(username) is { } bad) return (null, null, bad);
        var displayName = string.IsNullOrWhiteSpace(request.DisplayName) ? username : request.DisplayName.Trim();
        if (displayName.Length > 200) return (null, null, AdminError.Invalid("displayName", "At most 200 characters."));
        var (email, emailError) = NormaliseEmail(request.Email);
        if (emailError is not null) return (null, null, emailError);
        if (request.IsSystemAdmin && !scope.IsSystemAdmin) return (null, null, AdminError.Forbidden("Only a system admin can create system admins."));

        Organization? org = null;
        if (request.Organization is { Length: > 0 } code)
        {
            org = await db.Organizations.FirstOrDefaultAsync(o => o.Code == code.Trim().ToUpperInvariant(), ct);
            if (org is null || !scope.Manages(org.Id)) return (null, null, new AdminError(404, "Organization not found.", "organization", "No organization you administer has this code."));
            if (request.Role is null) return (null, null, AdminError.Invalid("role", "Required with organization."));
        }
        else if (!scope.IsSystemAdmin)
            return (null, null, AdminError.Invalid("organization", "Give one of the organizations you administer (and a role)."));

        string? generated = null;
        var password = request.Password;
        if (string.IsNullOrEmpty(password)) password = generated = PasswordPolicy.Generate();
        else if (PasswordPolicy.Validate(username, password, false, "password") is { Count: > 0 } errors)
            return (null, null, AdminError.Invalid("password", errors["password"][0]));

        if (await db.Users.AnyAsync(u => u.Username == username, ct)) return (null, null, AdminError.Taken("username"));
        if (email is not null && await EmailTakenAsync(email, null, ct)) return (null, null, AdminError.Taken("email"));

        var user = new AppUser
        {
            Id = Guid.NewGuid(), Username = username, DisplayName = displayName, Email = email, PasswordHash = Passwords.Hash(password),
            CreatedAt = DateTimeOffset.UtcNow, MustChangePassword = true, IsSystemAdmin = request.IsSystemAdmin, SecurityStamp = Guid.NewGuid(),
        };
        db.Users.Add(user);
        if (org is not null) db.Memberships.Add(new Membership { UserId = user.Id, OrganizationId = org.Id, Role = request.Role!.Value });
        if (await SaveUniqueAsync(ct) is { } taken) return (null, null, taken);
        return ((await ViewsAsync(scope, [user], ct))[0], generated, null);
    }

    public async Task<(UserView? User, AdminError? Error)> UpdateAsync(AdminScope scope, Guid id, UserChanges changes, CancellationToken ct)
    {
        var (user, error) = await ManageableAsync(scope, id, ct);
        if (user is null) return (null, error);
        if (changes.DisplayName is not null)
        {
            if (string.IsNullOrWhiteSpace(changes.DisplayName) || changes.DisplayName.Trim().Length > 200)
                return (null, AdminError.Invalid("displayName", "1 to 200 characters."));
            user.DisplayName = changes.DisplayName.Trim();
        }
        if (changes.Email is not null)
        {
            var (email, emailError) = NormaliseEmail(changes.Email);
            if (emailError is not null) return (null, emailError);
            if (email is not null && await EmailTakenAsync(email, id, ct)) return (null, AdminError.Taken("email"));
            user.Email = email;
        }
        if (changes.IsSystemAdmin is { } sys && sys != user.IsSystemAdmin)
        {
            if (!scope.IsSystemAdmin) return (null, AdminError.Forbidden("Only a system admin can change the system admin flag."));
            if (id == scope.ActorId) return (null, AdminError.Invalid("isSystemAdmin", "You cannot change your own system admin flag."));
            user.IsSystemAdmin = sys;
            user.SecurityStamp = Guid.NewGuid();
        }
        if (await SaveUniqueAsync(ct) is { } taken) return (null, taken);
        return ((await ViewsAsync(scope, [user], ct))[0], null);
    }

    /// <summary>Deactivate or reactivate; the stamp changes either way, so tokens issued before stop working at once.</summary>
    public async Task<(UserView? User, AdminError? Error)> SetActiveAsync(AdminScope scope, Guid id, bool active, CancellationToken ct)
    {
        if (id == scope.ActorId && !active) return (null, AdminError.Invalid("id", "You cannot deactivate yourself."));
        var (user, error) = await ManageableAsync(scope, id, ct);
        if (user is null) return (null, error);
        user.IsActive = active;
        user.SecurityStamp = Guid.NewGuid();
        await db.SaveChangesAsync(ct);
        return ((await ViewsAsync(scope, [user], ct))[0], null);
    }

    /// <summary>A generated temporary password (returned once, never stored in clear), forced change, sessions ended.</summary>
    public async Task<(string? TemporaryPassword, AdminError? Error)> ResetPasswordAsync(AdminScope scope, Guid id, CancellationToken ct)
    {
        var (user, error) = await ManageableAsync(scope, id, ct);
        if (user is null) return (null, error);
        var password = PasswordPolicy.Generate();
        user.PasswordHash = Passwords.Hash(password);
        user.MustChangePassword = true;
        user.SecurityStamp = Guid.NewGuid();
        await db.SaveChangesAsync(ct);
        return (password, null);
    }

    public async Task<(UserView? User, AdminError? Error)> SetMembershipAsync(AdminScope scope, Guid id, string orgCode, OrgRole role,
        IEnumerable<string>? granted, IEnumerable<string>? revoked, CancellationToken ct)
    {
        var (org, orgError) = await ManagedOrgAsync(scope, orgCode, ct);
        if (org is null) return (null, orgError);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null || !await VisibleAsync(scope, id, ct)) return (null, AdminError.NotFound("User"));
        if (user.IsSystemAdmin && !scope.IsSystemAdmin) return (null, AdminError.Forbidden("Only a system admin can change a system admin's memberships."));
        var (grant, revoke, error) = ParseOverrides(scope, granted, revoked);
        if (error is not null) return (null, error);
        var m = await db.Memberships.FirstOrDefaultAsync(x => x.UserId == id && x.OrganizationId == org.Id, ct);
        if (m is null) db.Memberships.Add(m = new Membership { UserId = id, OrganizationId = org.Id });
        m.Role = role;
        if (granted is not null) m.PermissionsGranted = (int)grant;
        if (revoked is not null) m.PermissionsRevoked = (int)revoke;
        await db.SaveChangesAsync(ct);
        return ((await ViewsAsync(scope, [user], ct))[0], null);
    }

    public async Task<(UserView? User, AdminError? Error)> SetPermissionsAsync(AdminScope scope, Guid id, string orgCode,
        IEnumerable<string>? granted, IEnumerable<string>? revoked, CancellationToken ct)
    {
        var (org, orgError) = await ManagedOrgAsync(scope, orgCode, ct);
        if (org is null) return (null, orgError);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        var m = await db.Memberships.FirstOrDefaultAsync(x => x.UserId == id && x.OrganizationId == org.Id, ct);
        if (user is null || m is null) return (null, AdminError.NotFound("Membership"));
        if (user.IsSystemAdmin && !scope.IsSystemAdmin) return (null, AdminError.Forbidden("Only a system admin can change a system admin's permissions."));
        var (grant, revoke, error) = ParseOverrides(scope, granted ?? [], revoked ?? []);
        if (error is not null) return (null, error);
        m.PermissionsGranted = (int)grant;
        m.PermissionsRevoked = (int)revoke;
        await db.SaveChangesAsync(ct);
        return ((await ViewsAsync(scope, [user], ct))[0], null);
    }

    /// <summary>Removes a membership; removing the last one also ends the user's sessions (new stamp).</summary>
    public async Task<(UserView? User, AdminError? Error)> RemoveMembershipAsync(AdminScope scope, Guid id, string orgCode, CancellationToken ct)
    {
        var (org, orgError) = await ManagedOrgAsync(scope, orgCode, ct);
        if (org is null) return (null, orgError);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        var m = await db.Memberships.FirstOrDefaultAsync(x => x.UserId == id && x.OrganizationId == org.Id, ct);
        if (user is null || m is null) return (null, AdminError.NotFound("Membership"));
        if (user.IsSystemAdmin && !scope.IsSystemAdmin) return (null, AdminError.Forbidden("Only a system admin can change a system admin's memberships."));
        db.Memberships.Remove(m);
        if (!await db.Memberships.AnyAsync(x => x.UserId == id && x.OrganizationId != org.Id, ct)) user.SecurityStamp = Guid.NewGuid();
        await db.SaveChangesAsync(ct);
        return ((await ViewsAsync(scope, [user], ct))[0], null);
    }

    // ---- rules ----

    /// <summary>The username rule for every way users come in (the API, the legacy import); <paramref name="username"/> is trimmed and lower-cased.</summary>
    internal static AdminError? ValidateUsername(string username) =>
        username.Length is < 3 or > 64 ? AdminError.Invalid("username", "3 to 64 characters.")
        : !username.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-' or '@')
            ? AdminError.Invalid("username", "Letters, digits and . _ - @ only.")
            : null;

    /// <summary>The e-mail rule for every way users come in (the API, the legacy import): null when blank, else trimmed.</summary>
    internal static (string? Email, AdminError? Error) NormaliseEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return (null, null);
        var e = email.Trim();
        var at = e.IndexOf('@');
        return e.Length > 254 || at < 1 || at == e.Length - 1 || e.Contains(' ') || e.IndexOf('@', at + 1) >= 0
            ? (null, AdminError.Invalid("email", "A valid email address."))
            : (e, null);
    }

    private Task<bool> EmailTakenAsync(string email, Guid? except, CancellationToken ct)
    {
        var lower = email.ToLowerInvariant();
        return db.Users.AnyAsync(u => u.Email != null && u.Email.ToLower() == lower && u.Id != except, ct);
    }

    /// <summary>Overrides by permission name; org admins cannot hand out the cross-organization portfolio.</summary>
    private static (Permission Granted, Permission Revoked, AdminError? Error) ParseOverrides(AdminScope scope, IEnumerable<string>? granted, IEnumerable<string>? revoked)
    {
        var (g, unknownG) = Permissions.Parse(granted);
        if (unknownG.Count > 0) return (0, 0, AdminError.Invalid("granted", $"Unknown permission(s): {string.Join(", ", unknownG)}."));
        var (r, unknownR) = Permissions.Parse(revoked);
        if (unknownR.Count > 0) return (0, 0, AdminError.Invalid("revoked", $"Unknown permission(s): {string.Join(", ", unknownR)}."));
        if (!scope.IsSystemAdmin && g.HasFlag(Permission.ViewAllOrganizations))
            return (0, 0, AdminError.Invalid("granted", "Only a system admin can grant ViewAllOrganizations."));
        return (g, r, null);
    }

    private async Task<(Organization? Org, AdminError? Error)> ManagedOrgAsync(AdminScope scope, string code, CancellationToken ct)
    {
        var org = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Code == code.ToUpperInvariant(), ct);
        // Same answer for "no such organization" and "not yours".
        return org is null || !scope.Manages(org.Id) ? (null, AdminError.NotFound("Organization")) : (org, null);
    }

    private Task<bool> VisibleAsync(AdminScope scope, Guid id, CancellationToken ct)
    {
        if (scope.IsSystemAdmin) return Task.FromResult(true);
        var managed = scope.ManagedOrganizations.ToArray();
        return db.Memberships.AnyAsync(m => m.UserId == id && managed.Contains(m.OrganizationId), ct);
    }

    /// <summary>
    /// Account changes (profile, activation, password) by an org admin only for users wholly inside organizations they
    /// administer (a user also in another organization is that organization's too), never for system admins.
    /// </summary>
    private async Task<(AppUser? User, AdminError? Error)> ManageableAsync(AdminScope scope, Guid id, CancellationToken ct)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null || !await VisibleAsync(scope, id, ct)) return (null, AdminError.NotFound("User"));
        if (scope.IsSystemAdmin) return (user, null);
        if (user.IsSystemAdmin) return (null, AdminError.Forbidden("Only a system admin can change a system admin."));
        var orgs = await db.Memberships.Where(m => m.UserId == id).Select(m => m.OrganizationId).ToListAsync(ct);
        return orgs.All(scope.Manages) ? (user, null)
            : (null, AdminError.Forbidden("The user is also a member of an organization you do not administer."));
    }

    private async Task<AdminError?> SaveUniqueAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg)
        {
            db.ChangeTracker.Clear();
            return AdminError.Taken(pg.ConstraintName?.Contains("email", StringComparison.OrdinalIgnoreCase) == true ? "email" : "username");
        }
    }

    /// <summary>Users with their memberships; an org admin sees only the memberships in organizations they administer.</summary>
    private async Task<IReadOnlyList<UserView>> ViewsAsync(AdminScope scope, IReadOnlyList<AppUser> users, CancellationToken ct)
    {
        var ids = users.Select(u => u.Id).ToArray();
        var memberships = await db.Memberships.AsNoTracking().Where(m => ids.Contains(m.UserId))
            .Join(db.Organizations, m => m.OrganizationId, o => o.Id, (m, o) => new { m, o.Code, o.Name })
            .ToListAsync(ct);
        return users.Select(u => new UserView(u.Id, u.Username, u.DisplayName, u.Email, u.IsActive, u.IsSystemAdmin, u.MustChangePassword, u.CreatedAt,
            memberships.Where(x => x.m.UserId == u.Id && scope.Manages(x.m.OrganizationId)).OrderBy(x => x.Code)
                .Select(x => new UserMembershipView(x.m.OrganizationId, x.Code, x.Name, x.m.Role, (Permission)x.m.PermissionsGranted,
                    (Permission)x.m.PermissionsRevoked, Permissions.Effective(x.m.Role, x.m.PermissionsGranted, x.m.PermissionsRevoked))).ToList())).ToList();
    }
}
