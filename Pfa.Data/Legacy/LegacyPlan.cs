using System.Text.Json;
using Pfa.Domain;

namespace Pfa.Data.Legacy;

/// <summary>A legacy user as ours. <see cref="PasswordHash"/> is the old bcrypt hash when there is one (Passwords verifies it).</summary>
public sealed record PlannedUser(string LegacyId, string Username, string DisplayName, string? Email, bool IsActive, bool IsSystemAdmin,
    DateTimeOffset? CreatedAt, string? PasswordHash);

public sealed record PlannedOrganization(string LegacyId, string Code, string Name, bool IsActive);

public sealed record PlannedMembership(string UserLegacyId, string OrganizationLegacyId, OrgRole Role, Permission Granted, Permission Revoked);

/// <summary>
/// An organization's PEMS connection. A class, not a record: a record's generated ToString would print the password.
/// <see cref="Password"/> and <see cref="Username"/> are null when they could not be decrypted (no legacy key): re-enter them.
/// </summary>
public sealed class PlannedConnection(string organizationLegacyId, string baseUrl, string tenant, string gridId, string? username, string? password)
{
    public string OrganizationLegacyId { get; } = organizationLegacyId;
    public string BaseUrl { get; } = baseUrl;
    public string Tenant { get; } = tenant;
    public string GridId { get; } = gridId;
    /// <summary>The write screen: the old system had no per-organization screen, so ours (CUPFA2, as the API's default).</summary>
    public string ScreenId { get; } = "CUPFA2";
    public string? Username { get; } = username;
    public string? Password { get; } = password;
    public bool HasSecrets => Username is not null;
    public override string ToString() => $"PEMS connection of {OrganizationLegacyId} at {BaseUrl}";
}

/// <summary>A legacy PFA record as the mirror stores it: the PfaJson text and its SHA-256 (the sync worker's MirrorRecord shape).</summary>
public sealed record LegacyMirrorLine(string PfaId, string Data, string? PemsVersion, byte[] ContentHash);

/// <summary>A legacy table (or part of one) the import leaves behind, with the reason.</summary>
public sealed record SkippedTable(string Table, int Rows, string Reason);

/// <summary>
/// The whole legacy source mapped onto ours, or every reason it cannot be (duplicate keys, orphan rows, unknown values,
/// undecryptable secrets, usernames and e-mail addresses that break UserAdministration's rules), all at once and before anything
/// is written. Policies (legacy-data.md §2, §4, §5): usernames are
/// lower-cased and organization codes upper-cased as ours are; bcrypt hashes are carried over (Passwords verifies them and
/// the first sign-in rehashes), an empty hash meant "no local password" and must be set; users.role 'admin' → system admin and Admin of every organization (the old middleware let them into all);
/// membership owner/admin → Admin, member → Editor, viewer → Viewer; PostgreSQL-era perm_* flags, when present, become
/// per-membership overrides against the role's template; each organization's PEMS connection is what the old sync used for it
/// (its own PEMS_PFA_READ configuration, else the global one; its own credentials, else the configuration's).
/// </summary>
public sealed record LegacyPlan(
    IReadOnlyList<PlannedUser> Users,
    IReadOnlyList<PlannedOrganization> Organizations,
    IReadOnlyList<PlannedMembership> Memberships,
    IReadOnlyList<PlannedConnection> Connections,
    IReadOnlyDictionary<string, List<LegacyMirrorLine>> Records,
    IReadOnlyList<SkippedTable> Skipped,
    IReadOnlyList<string> Notes)
{
    public const string PfaReadUsage = "PEMS_PFA_READ";

    private static readonly (string Flag, Permission Permission)[] Flags =
    [
        ("perm_ViewFinancials", Permission.ViewFinancials), ("perm_EditForecast", Permission.Edit), ("perm_SaveDraft", Permission.Edit),
        ("perm_Sync", Permission.Sync | Permission.Commit), ("perm_Export", Permission.Export), ("perm_Import", Permission.Import),
        ("perm_ManageUsers", Permission.ManageUsers), ("perm_ManageSettings", Permission.ManageOrganization),
        ("perm_ViewAllOrgs", Permission.ViewAllOrganizations),
    ];

    /// <summary>Tables with no place here, and why (reported as skipped with their row counts).</summary>
    private static readonly (string Table, string Reason)[] NoTarget =
    [
        ("field_configurations", "no place for saved CSV layouts here: exports use the grid's visible columns and the import reads PEMS's own column names"),
        ("sync_logs", "history of the old system's runs against its own store; sync_log records our worker's runs against this mirror and has no legacy key to import idempotently"),
        ("ai_providers", "the assistant's model is one connection string (ConnectionStrings__ai), not per-provider rows"),
        ("organization_ai_configs", "no per-organization AI settings here"),
        ("ai_usage_logs", "usage of the old AI providers; no target"),
        ("data_source_mappings", "the sync reads one PEMS grid per organization; no per-entity source priorities here"),
    ];

    public int RecordCount => Records.Values.Sum(r => r.Count);

    public static LegacyPlan Build(ILegacySource source, LegacySecrets? secrets)
    {
        var problems = new List<string>();
        var skipped = new List<SkippedTable>();
        var notes = new List<string>();

        var users = new List<PlannedUser>();
        var usernames = new Dictionary<string, string>(StringComparer.Ordinal);
        var emails = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in source.Rows("users"))
        {
            var id = row.Text("id");
            var username = row.Text("username")?.Trim().ToLowerInvariant();
            if (id is null || string.IsNullOrEmpty(username)) { problems.Add($"users: a row without id or username ({row})"); continue; }
            if (!usernames.TryAdd(username, id)) problems.Add($"users: username '{username}' is used by {usernames[username]} and {id} (usernames are case-insensitive here)");
            // The rules users created through the API meet, so an imported account can be administered like any other.
            if (UserAdministration.ValidateUsername(username) is { } badName) problems.Add($"users {id}: username '{username}' is not accepted here ({badName.Message?.TrimEnd('.')})");
            var email = row.Text("email")?.Trim().ToLowerInvariant();
            if (UserAdministration.NormaliseEmail(email).Error is not null) problems.Add($"users {id}: e-mail '{email}' is not a valid e-mail address");
            if (!string.IsNullOrEmpty(email) && !emails.TryAdd(email, id)) problems.Add($"users: e-mail '{email}' is used by {emails[email]} and {id}");
            var name = string.Join(' ', new[] { row.Text("firstName"), row.Text("lastName") }.Where(n => !string.IsNullOrWhiteSpace(n))).Trim();
            var hash = row.Text("passwordHash");
            users.Add(new PlannedUser(id, username, name.Length > 0 ? name : username, string.IsNullOrEmpty(email) ? null : email,
                row.Bool("isActive") ?? true, row.Text("role") == "admin", row.Date("createdAt"), Passwords.IsLegacyBcrypt(hash) ? hash : null));
        }

        var organizations = new List<PlannedOrganization>();
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in source.Rows("organizations"))
        {
            var id = row.Text("id");
            var code = row.Text("code")?.Trim().ToUpperInvariant();
            if (id is null || string.IsNullOrEmpty(code)) { problems.Add($"organizations: a row without id or code ({row})"); continue; }
            if (!codes.TryAdd(code, id)) problems.Add($"organizations: code '{code}' is used by {codes[code]} and {id}");
            organizations.Add(new PlannedOrganization(id, code, (row.Text("name") ?? code).Trim(), row.Bool("isActive") ?? true));
        }

        var userIds = users.Select(u => u.LegacyId).ToHashSet(StringComparer.Ordinal);
        var organizationIds = organizations.Select(o => o.LegacyId).ToHashSet(StringComparer.Ordinal);
        var memberships = new List<PlannedMembership>();
        var pairs = new HashSet<(string, string)>();
        foreach (var row in source.Rows("user_organizations"))
        {
            var (id, userId, organizationId) = (row.Text("id") ?? "?", row.Text("userId"), row.Text("organizationId"));
            if (userId is null || !userIds.Contains(userId)) { problems.Add($"user_organizations {id}: user {userId ?? "(none)"} does not exist (orphan membership)"); continue; }
            if (organizationId is null || !organizationIds.Contains(organizationId)) { problems.Add($"user_organizations {id}: organization {organizationId ?? "(none)"} does not exist (orphan membership)"); continue; }
            if (!pairs.Add((userId, organizationId))) { problems.Add($"user_organizations {id}: user {userId} is a member of {organizationId} twice"); continue; }
            OrgRole? role = row.Text("role")?.Trim().ToLowerInvariant() switch
            {
                "owner" or "admin" or "administrator" => OrgRole.Admin,
                "member" or "editor" => OrgRole.Editor,
                "viewer" => OrgRole.Viewer,
                "portfolio manager" or "portfoliomanager" => OrgRole.PortfolioManager,
                "beo analyst" or "beoanalyst" => OrgRole.BeoAnalyst,
                _ => null,
            };
            if (role is not { } r) { problems.Add($"user_organizations {id}: unknown role '{row.Text("role")}'"); continue; }
            var (granted, revoked) = Overrides(row, r);
            memberships.Add(new PlannedMembership(userId, organizationId, r, granted, revoked));
        }

        // The old middleware let users.role = 'admin' into every organization; here that takes a membership, so they get Admin in
        // each organization they were not a member of (system admin alone administers the installation, not the data).
        var implicitAdmins = 0;
        foreach (var admin in users.Where(u => u.IsSystemAdmin))
            foreach (var org in organizations.Where(o => !pairs.Contains((admin.LegacyId, o.LegacyId))))
            {
                memberships.Add(new PlannedMembership(admin.LegacyId, org.LegacyId, OrgRole.Admin, Permission.None, Permission.None));
                implicitAdmins++;
            }
        if (implicitAdmins > 0)
            notes.Add($"{implicitAdmins} Admin membership(s) added for legacy global admins, who could open every organization in the old system");

        var connections = MapConnections(source, organizations, secrets, problems, skipped, notes);
        var records = MapRecords(source, organizations, problems, notes);

        foreach (var (table, reason) in NoTarget)
            if (source.HasTable(table) && source.Rows(table).Count() is var n and > 0) skipped.Add(new SkippedTable(table, n, reason));

        if (problems.Count > 0)
        {
            throw new LegacyImportException($"The legacy data cannot be imported ({problems.Count} problem(s), nothing was written): " +
                string.Join("; ", problems.Take(20)) + (problems.Count > 20 ? $"; and {problems.Count - 20} more" : "") + ".");
        }
        return new LegacyPlan(users, organizations, memberships, connections, records, skipped, notes);
    }

    /// <summary>
    /// The PEMS connection the old sync used per organization (PemsSyncService): its own PEMS_PFA_READ configuration, else the
    /// global one; credentials from organization_api_credentials, else the configuration's own. The other usages are skipped.
    /// </summary>
    private static List<PlannedConnection> MapConnections(ILegacySource source, List<PlannedOrganization> organizations, LegacySecrets? secrets,
        List<string> problems, List<SkippedTable> skipped, List<string> notes)
    {
        var configurations = source.Rows("api_configurations").ToList();
        var reads = configurations.Where(c => c.Text("usage") == PfaReadUsage).ToList();
        var other = configurations.Count - reads.Count;
        if (other > 0)
            skipped.Add(new SkippedTable("api_configurations", other, "only PEMS_PFA_READ becomes a connection; writes use the same connection's CUPFA2 screen, and the other feeds (assets, classes, organizations, AI) have no configuration here"));
        var credentials = source.Rows("organization_api_credentials").ToList();
        var connections = new List<PlannedConnection>();
        if (reads.Count == 0) return connections;

        var global = reads.FirstOrDefault(c => c.Text("organizationId") is null);
        var decrypted = new Dictionary<string, string>(StringComparer.Ordinal); // the export copies one ciphertext to many rows
        string? Decrypt(string? stored, string what)
        {
            if (string.IsNullOrEmpty(stored) || secrets is null) return null;
            if (decrypted.TryGetValue(stored, out var plain)) return plain;
            try { return decrypted[stored] = secrets.Decrypt(stored, what); }
            catch (LegacyImportException e) { problems.Add(e.Message); return null; }
        }

        var withoutSecrets = 0;
        foreach (var org in organizations)
        {
            var configuration = reads.FirstOrDefault(c => c.Text("organizationId") == org.LegacyId) ?? global;
            if (configuration is null) continue;
            var credential = credentials.FirstOrDefault(c => c.Text("organizationId") == org.LegacyId && c.Text("apiConfigurationId") == configuration.Text("id"));
            var holder = credential is not null && (credential.Text("authKeyEncrypted") ?? credential.Text("authValueEncrypted")) is not null ? credential : configuration;
            var where = $"{(holder == credential ? "organization_api_credentials" : "api_configurations")} {holder.Text("id")}";
            var headers = Headers(configuration.Text("customHeaders"));
            var url = configuration.Text("url") ?? "";
            // Ours is the server's base address; the worker appends /axis/restservices itself.
            var axis = url.IndexOf("/axis/", StringComparison.OrdinalIgnoreCase);
            var baseUrl = axis > 0 ? url[..axis] : url.TrimEnd('/');
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out _)) { problems.Add($"api_configurations {configuration.Text("id")}: url '{url}' is not an absolute URL"); continue; }
            var username = Decrypt(holder.Text("authKeyEncrypted"), where + " authKeyEncrypted");
            var password = Decrypt(holder.Text("authValueEncrypted"), where + " authValueEncrypted");
            if (username is null) withoutSecrets++;
            connections.Add(new PlannedConnection(org.LegacyId, baseUrl, headers.GetValueOrDefault("tenant") ?? "", headers.GetValueOrDefault("gridId") ?? "100541",
                username, username is null ? null : password));
        }
        if (withoutSecrets > 0)
            notes.Add($"{withoutSecrets} PEMS connection(s) without user name and password ({(secrets is null ? $"no {LegacySecrets.KeyVariable} given" : "none stored")}): an organization admin must re-enter the credentials");
        return connections;
    }

    private static Dictionary<string, string> Headers(string? json)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(json)) return headers;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return headers;
            foreach (var h in doc.RootElement.EnumerateArray())
                if (h.TryGetProperty("key", out var k) && h.TryGetProperty("value", out var v) && k.GetString() is { } key)
                    headers[key] = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
        }
        catch (JsonException) { }
        return headers;
    }

    /// <summary>pfa_records → the mirror's PfaJson (legacy-data.md §5: the legacy columns are the PEMS read aliases already mapped).</summary>
    private static Dictionary<string, List<LegacyMirrorLine>> MapRecords(ILegacySource source, List<PlannedOrganization> organizations,
        List<string> problems, List<string> notes)
    {
        var codeOf = organizations.ToDictionary(o => o.LegacyId, o => o.Code, StringComparer.Ordinal);
        var records = new Dictionary<string, List<LegacyMirrorLine>>(StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>();
        var locallyEdited = 0;
        foreach (var row in source.Rows("pfa_records"))
        {
            var (id, pfaId, organizationId) = (row.Text("id") ?? "?", row.Text("pfaId")?.Trim(), row.Text("organizationId"));
            if (string.IsNullOrEmpty(pfaId)) { problems.Add($"pfa_records {id}: no pfaId"); continue; }
            if (organizationId is null || !codeOf.TryGetValue(organizationId, out var code)) { problems.Add($"pfa_records {id}: organization {organizationId ?? "(none)"} does not exist (orphan record)"); continue; }
            if (!seen.Add((code, pfaId))) { problems.Add($"pfa_records {id}: PFA {pfaId} appears twice in {code}"); continue; }
            if (!TryEnum<PfaSource>(row.Text("source"), PfaSource.Rental, out var sourceKind)) { problems.Add($"pfa_records {id}: source '{row.Text("source")}' is neither Rental nor Purchase"); continue; }
            if (!TryEnum<Dor>(row.Text("dor"), Dor.PROJECT, out var dor)) { problems.Add($"pfa_records {id}: dor '{row.Text("dor")}' is neither BEO nor PROJECT"); continue; }
            if (row.Text("syncState") is { } state && state != "pristine") locallyEdited++;
            var record = new PfaRecord
            {
                PfaId = pfaId,
                AreaSilo = row.Text("areaSilo"),
                Class = row.Text("class"),
                Category = row.Text("category"),
                CategoryDescription = row.Text("forecastCategory"),
                Source = sourceKind,
                Dor = dor,
                IsActualized = row.Bool("isActualized") ?? false,
                IsDiscontinued = row.Bool("isDiscontinued") ?? false,
                IsFundsTransferable = row.Bool("isFundsTransferable") ?? false,
                MonthlyRate = (decimal)(row.Number("monthlyRate") ?? 0),
                PurchasePrice = (decimal)(row.Number("purchasePrice") ?? 0),
                Manufacturer = row.Text("manufacturer"),
                Model = row.Text("model"),
                OriginalStart = Day(row, "originalStart"),
                OriginalEnd = Day(row, "originalEnd"),
                ForecastStart = Day(row, "forecastStart"),
                ForecastEnd = Day(row, "forecastEnd"),
                ActualStart = Day(row, "actualStart"),
                ActualEnd = Day(row, "actualEnd"),
                // As the sync decides it (MirrorRecord): a line has actuals once its actual window has started.
                HasActuals = Day(row, "actualStart") is not null,
                Contract = row.Text("contract"),
                Equipment = row.Text("equipment"),
                PemsVersion = row.Text("pemsVersion"),
            };
            // The same text and hash the sync worker stores, so a later sync of an unchanged line changes nothing.
            var (text, hash) = PfaJson.Stored(record);
            if (!records.TryGetValue(code, out var lines)) records[code] = lines = [];
            lines.Add(new LegacyMirrorLine(pfaId, text, record.PemsVersion, hash));
        }
        if (locallyEdited > 0)
            notes.Add($"{locallyEdited} PFA record(s) had local edits the old system had not sent to PEMS (syncState ≠ pristine): imported as the mirror holds them; the next full sync shows PEMS's values");
        return records;
    }

    private static bool TryEnum<T>(string? text, T fallback, out T value) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text)) { value = fallback; return true; }
        return Enum.TryParse(text.Trim(), ignoreCase: true, out value) && Enum.IsDefined(value);
    }

    private static DateOnly? Day(LegacyRow row, string column) => row.Date(column) is { } at ? DateOnly.FromDateTime(at.UtcDateTime) : null;

    /// <summary>perm_* flags (PostgreSQL-era exports only) against the role's template; none present → the template as is.</summary>
    private static (Permission Granted, Permission Revoked) Overrides(LegacyRow row, OrgRole role)
    {
        if (!Flags.Any(f => row.Has(f.Flag))) return (Permission.None, Permission.None);
        var wanted = Flags.Where(f => row.Bool(f.Flag) == true).Aggregate(Permission.None, (set, f) => set | f.Permission);
        var template = Permissions.Template(role);
        // A permission the old system had no flag for (ViewAudit) keeps the role's default.
        var covered = Flags.Aggregate(Permission.None, (set, f) => set | f.Permission);
        wanted |= template & ~covered;
        return (wanted & ~template, template & ~wanted);
    }
}
