namespace Pfa.Web.Api;

// The API's user administration (Pfa.Api/Apis/UsersApi.cs): system admins manage every user, org admins the members of
// the organizations where they hold ManageUsers.

public sealed record UserMembershipItem(string Organization, string Name, string Role, IReadOnlyList<string> Granted, IReadOnlyList<string> Revoked,
    IReadOnlyList<string> Permissions);
public sealed record UserItem(Guid Id, string Username, string DisplayName, string? Email, bool IsActive, bool IsSystemAdmin, bool MustChangePassword,
    DateTimeOffset CreatedAt, IReadOnlyList<UserMembershipItem> Memberships);
public sealed record UserItemPage(IReadOnlyList<UserItem> Items, string? NextCursor);
/// <summary><see cref="TemporaryPassword"/> is shown once; the user must change it at first sign-in.</summary>
public sealed record CreatedUser(UserItem User, string? TemporaryPassword);
public sealed record NewUser(string Username, string DisplayName, string? Email, bool IsSystemAdmin, string? Organization, string? Role);

public sealed partial class PfaApiClient
{
    /// <summary>Permission names the API accepts in overrides (Pfa.Data.Permission), in its order.</summary>
    public static readonly string[] PermissionNames =
        ["ViewFinancials", "Edit", "Commit", "Sync", "Export", "Import", "ManageUsers", "ViewAudit", "ViewAllOrganizations", "ManageOrganization"];
    public static readonly string[] RoleNames = ["Viewer", "Editor", "PortfolioManager", "BeoAnalyst", "Admin"];

    public async Task<UserItemPage> UsersAsync(string? search, string? cursor, int limit, CancellationToken ct = default)
    {
        var query = $"limit={limit}";
        if (!string.IsNullOrWhiteSpace(search)) query += "&search=" + Uri.EscapeDataString(search.Trim());
        if (cursor is not null) query += "&cursor=" + Uri.EscapeDataString(cursor);
        return await SendAsync<UserItemPage>(HttpMethod.Get, $"/api/users?{query}", null, await TokenAsync(), ct);
    }

    public async Task<CreatedUser> CreateUserAsync(NewUser user, CancellationToken ct = default) =>
        await SendAsync<CreatedUser>(HttpMethod.Post, "/api/users", new
        {
            username = user.Username, displayName = user.DisplayName, email = string.IsNullOrWhiteSpace(user.Email) ? null : user.Email,
            isSystemAdmin = user.IsSystemAdmin, organization = string.IsNullOrWhiteSpace(user.Organization) ? null : user.Organization, role = user.Role,
        }, await TokenAsync(), ct);

    public async Task<UserItem> UpdateUserAsync(Guid id, string displayName, string? email, bool? isSystemAdmin, CancellationToken ct = default) =>
        await SendAsync<UserItem>(HttpMethod.Put, $"/api/users/{id}", new { displayName, email = email ?? "", isSystemAdmin }, await TokenAsync(), ct);

    public async Task<UserItem> SetUserActiveAsync(Guid id, bool active, string? reason, CancellationToken ct = default) =>
        await SendAsync<UserItem>(HttpMethod.Post, $"/api/users/{id}/{(active ? "reactivate" : "deactivate")}", new { reason }, await TokenAsync(), ct);

    /// <summary>A generated temporary password, shown once; every session of the user ends.</summary>
    public async Task<string> ResetPasswordAsync(Guid id, string? reason, CancellationToken ct = default) =>
        (await SendAsync<ResetPasswordResult>(HttpMethod.Post, $"/api/users/{id}/reset-password", new { reason }, await TokenAsync(), ct)).TemporaryPassword;

    public async Task<UserItem> PutMembershipAsync(Guid id, string org, string role, CancellationToken ct = default) =>
        await SendAsync<UserItem>(HttpMethod.Put, $"/api/users/{id}/memberships/{Uri.EscapeDataString(org)}", new { role }, await TokenAsync(), ct);

    public async Task<UserItem> DeleteMembershipAsync(Guid id, string org, CancellationToken ct = default) =>
        await SendAsync<UserItem>(HttpMethod.Delete, $"/api/users/{id}/memberships/{Uri.EscapeDataString(org)}", null, await TokenAsync(), ct);

    public async Task<UserItem> PutPermissionOverridesAsync(Guid id, string org, IEnumerable<string> granted, IEnumerable<string> revoked,
        CancellationToken ct = default) =>
        await SendAsync<UserItem>(HttpMethod.Put, $"/api/users/{id}/memberships/{Uri.EscapeDataString(org)}/permissions",
            new { granted = granted.ToArray(), revoked = revoked.ToArray() }, await TokenAsync(), ct);

    private sealed record ResetPasswordResult(string TemporaryPassword);
}
