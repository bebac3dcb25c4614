namespace Pfa.Web.Api;

public sealed record PemsOrganizationItem(string Code, string Name, bool Added);
public sealed record OrganizationAdminItem(string Code, string Name, bool IsActive, bool SyncEnabled, int? SyncIntervalMinutes,
    string ServiceStatus, DateTimeOffset? LastFullSyncAt, DateTimeOffset? LastIncrementalSyncAt, DateTimeOffset? LastSyncStartedAt,
    string? LastSyncStatus, string? LastSyncKind, long LineCount, string? SsoAutoProvisionRole, IReadOnlyList<string> SsoEmailDomains);
/// <summary>Null fields are left unchanged by the API; <c>SsoAutoProvisionRole = ""</c> and an empty domain list switch SSO sign-up off.</summary>
public sealed record OrganizationPatch(bool? IsActive = null, bool? SyncEnabled = null, int? SyncIntervalMinutes = null, string? ServiceStatus = null,
    string? SsoAutoProvisionRole = null, IReadOnlyList<string>? SsoEmailDomains = null);

public sealed partial class PfaApiClient
{
    /// <summary>Trades the external issuer's id_token for the API's token after the OpenID Connect callback.</summary>
    public Task<LoginResult> ExternalLoginAsync(string idToken, CancellationToken ct = default) =>
        SendAsync<LoginResult>(HttpMethod.Post, "/api/auth/external", new { idToken }, token: null, ct);

    public async Task<IReadOnlyList<OrganizationAdminItem>> AdminOrganizationsAsync(CancellationToken ct = default) =>
        await SendAsync<List<OrganizationAdminItem>>(HttpMethod.Get, "/api/admin/organizations", null, await TokenAsync(), ct);

    public async Task<IReadOnlyList<PemsOrganizationItem>> PemsOrganizationsAsync(CancellationToken ct = default) =>
        await SendAsync<List<PemsOrganizationItem>>(HttpMethod.Get, "/api/admin/pems/organizations", null, await TokenAsync(), ct);

    public async Task<OrganizationAdminItem> AddOrganizationAsync(string code, CancellationToken ct = default) =>
        await SendAsync<OrganizationAdminItem>(HttpMethod.Post, "/api/admin/organizations", new { code }, await TokenAsync(), ct);

    public async Task<OrganizationAdminItem> PatchOrganizationAsync(string code, OrganizationPatch patch, CancellationToken ct = default) =>
        await SendAsync<OrganizationAdminItem>(HttpMethod.Patch, $"/api/admin/organizations/{Uri.EscapeDataString(code)}", patch, await TokenAsync(), ct);
}
