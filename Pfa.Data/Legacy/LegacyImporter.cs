using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pfa.Data.Queries;

namespace Pfa.Data.Legacy;

/// <summary>
/// The sync worker's mirror write (MirrorUpsert) for one batch of one organization inside the caller's transaction; passed in
/// because it lives in Pfa.SyncWorker, so legacy records land exactly as synced ones do.
/// </summary>
public delegate Task<(int Inserted, int Updated, int Unchanged)> LegacyMirrorWriter(
    NpgsqlConnection connection, NpgsqlTransaction transaction, Guid organizationId, IReadOnlyCollection<LegacyMirrorLine> batch, CancellationToken ct);

public sealed class LegacyImportOptions
{
    /// <summary>Everything runs (the same statements, so the counts are real) in one transaction that is rolled back.</summary>
    public bool DryRun { get; init; }
    /// <summary>The old system's ENCRYPTION_KEY; null → PEMS connections are imported without credentials.</summary>
    public LegacySecrets? Secrets { get; init; }
    /// <summary>Our key ring for the PEMS passwords; needed only when a password was decrypted and is written.</summary>
    public PemsConnectionSecrets? Protector { get; init; }
    public required LegacyMirrorWriter MirrorWriter { get; init; }
    /// <summary>PFA records per transaction (the sync's page size).</summary>
    public int RecordBatchSize { get; init; } = 5_000;
}

public sealed record TableOutcome(string Table, int Source, int Created, int Updated, int Unchanged, string? Note = null);

/// <summary>Source vs landed for one table: row counts and the SHA-256 of the imported fields in key order.</summary>
public sealed record TableVerification(string Table, int SourceRows, string SourceChecksum, int LandedRows, string LandedChecksum)
{
    public bool Matches => SourceRows == LandedRows && SourceChecksum == LandedChecksum;
}

public sealed record LegacyImportReport(string Source, bool DryRun, IReadOnlyList<TableOutcome> Tables, IReadOnlyList<SkippedTable> Skipped,
    IReadOnlyList<string> Notes, IReadOnlyList<TableVerification> Verification, TimeSpan Duration, IReadOnlyList<(string Stage, TimeSpan Took)> Stages)
{
    public bool Verified => Verification.All(v => v.Matches);

    public IEnumerable<string> Lines()
    {
        yield return $"{(DryRun ? "Dry run" : "Import")} from the {Source}:";
        foreach (var t in Tables)
            yield return $"  {t.Table,-38} {t.Source,8:N0} in source: {t.Created:N0} {(DryRun ? "to create" : "created")}, {t.Updated:N0} {(DryRun ? "to update" : "updated")}, {t.Unchanged:N0} unchanged{(t.Note is null ? "" : $" ({t.Note})")}";
        foreach (var s in Skipped) yield return $"  {s.Table,-38} {s.Rows,8:N0} skipped: {s.Reason}";
        foreach (var n in Notes) yield return $"  note: {n}";
        yield return "Time: " + string.Join(", ", Stages.Select(st => $"{st.Stage} {st.Took.TotalSeconds:N1} s"));
        if (DryRun) yield return $"Dry run: nothing was written ({Duration.TotalSeconds:N1} s).";
        else
        {
            yield return "Verification (source vs landed: rows, SHA-256 of the imported fields):";
            foreach (var v in Verification)
                yield return $"  {v.Table,-38} {v.SourceRows,8:N0} / {v.LandedRows,8:N0}  {v.SourceChecksum[..16]} / {v.LandedChecksum[..16]}  {(v.Matches ? "ok" : "MISMATCH")}";
            yield return Verified ? $"Imported and verified in {Duration.TotalSeconds:N1} s." : "Verification FAILED: what landed differs from the source (see above).";
        }
    }
}

/// <summary>
/// Writes a <see cref="LegacyPlan"/>: users, organizations, memberships and PEMS connections in one transaction (set-based,
/// keyed by username, organization code and their pair), then PFA records through the sync's mirror write, one transaction per
/// batch. Every statement only touches rows whose values differ, so a second run reports everything unchanged: the upserts join
/// their target first and drop unchanged rows before the conflict check, as MirrorUpsert does (ON CONFLICT … DO UPDATE … WHERE
/// false would still lock every row it meets). A user whose is_active or is_system_admin changes gets a new security stamp, so
/// their sessions end as after the same change through UserAdministration. Everything that can make an import fail half-way is
/// checked first (LegacyPlan.Build, <see cref="CheckTargetAsync"/>).
/// </summary>
public static class LegacyImporter
{
    private const string Actor = "legacy-import";

    public static async Task<LegacyImportReport> RunAsync(ILegacySource source, NpgsqlDataSource db, LegacyImportOptions options, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var stages = new List<(string, TimeSpan)>();
        var stage = Stopwatch.GetTimestamp();
        void Lap(string name)
        {
            stages.Add((name, Stopwatch.GetElapsedTime(stage)));
            stage = Stopwatch.GetTimestamp();
        }
        LegacyPlan plan;
        try { plan = LegacyPlan.Build(source, options.Secrets); }
        catch (Microsoft.Data.Sqlite.SqliteException e) { throw new LegacyImportException($"The SQLite database cannot be read: {e.Message} (nothing was written).", e); }
        await using var conn = await db.OpenConnectionAsync(ct);
        await CheckTargetAsync(conn, plan, ct);
        var keys = Keys(plan);
        Lap("read, checked and mapped");

        var tables = new List<TableOutcome>();
        // A dry run keeps one transaction for everything and rolls it back; a real run commits the accounts, then each record batch.
        var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            tables.Add(await UpsertUsersAsync(conn, tx, plan, ct));
            tables.Add(await UpsertOrganizationsAsync(conn, tx, plan, ct));
            tables.Add(await UpsertMembershipsAsync(conn, tx, plan, keys, ct));
            tables.Add(await UpsertConnectionsAsync(conn, tx, plan, keys, options, ct));
            Lap("accounts and connections");
            if (!options.DryRun)
            {
                await tx.CommitAsync(ct);
                await tx.DisposeAsync();
                tx = null;
            }

            var organizationIds = await OrganizationIdsAsync(conn, tx, plan.Records.Keys, ct);
            int created = 0, updated = 0, unchanged = 0;
            foreach (var (code, lines) in plan.Records)
            {
                var organizationId = organizationIds[code];
                var changed = 0;
                try
                {
                    // In PFA id order: the mirror write joins its stage by the batch's id range, so each batch stays narrow.
                    foreach (var batch in lines.OrderBy(l => l.PfaId, StringComparer.Ordinal).Chunk(options.RecordBatchSize))
                    {
                        var batchTx = tx ?? await conn.BeginTransactionAsync(ct);
                        // A dry run undoes each batch at once: the write's ON COMMIT DROP stage table must not meet the next batch.
                        if (tx is not null) await tx.SaveAsync("batch", ct);
                        var (i, u, n) = await options.MirrorWriter(conn, batchTx, organizationId, batch, ct);
                        if (tx is not null) await tx.RollbackAsync("batch", ct);
                        else
                        {
                            await batchTx.CommitAsync(ct);
                            await batchTx.DisposeAsync();
                        }
                        (created, updated, unchanged, changed) = (created + i, updated + u, unchanged + n, changed + i + u);
                    }
                }
                finally
                {
                    // As after a sync, even a failed one: KPI summaries and the mirror version follow the batches that landed
                    // (a re-run finds them unchanged and would never refresh them).
                    if (changed > 0 && !options.DryRun) await PfaStore.MirrorChangedAsync(db, organizationId, CancellationToken.None);
                }
            }
            tables.Add(new TableOutcome("pfa_records → pfa_mirror", plan.RecordCount, created, updated, unchanged));
            Lap("records");
        }
        finally
        {
            if (tx is not null)
            {
                await tx.RollbackAsync(CancellationToken.None);
                await tx.DisposeAsync();
            }
        }

        var verification = options.DryRun ? [] : await VerifyAsync(conn, plan, keys, ct);
        if (!options.DryRun) Lap("verification");
        return new LegacyImportReport(source.Description, options.DryRun, tables, plan.Skipped, plan.Notes, verification, Stopwatch.GetElapsedTime(started), stages);
    }

    /// <summary>Conflicts with rows already here that no plan check can see: an e-mail address taken by another user.</summary>
    private static async Task CheckTargetAsync(NpgsqlConnection conn, LegacyPlan plan, CancellationToken ct)
    {
        var withEmail = plan.Users.Where(u => u.Email is not null).ToList();
        await using var cmd = new NpgsqlCommand("""
            SELECT p.username, p.email, u.username FROM unnest(@usernames, @emails) AS p(username, email)
            JOIN users u ON lower(u.email) = p.email AND u.username <> p.username
            """, conn);
        cmd.Parameters.Add(Array("usernames", withEmail.Select(u => u.Username)));
        cmd.Parameters.Add(Array("emails", withEmail.Select(u => u.Email!)));
        var problems = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) problems.Add($"users: e-mail '{r.GetString(1)}' of '{r.GetString(0)}' already belongs to user '{r.GetString(2)}' here");
        if (problems.Count > 0)
            throw new LegacyImportException($"The legacy data cannot be imported ({problems.Count} problem(s), nothing was written): {string.Join("; ", problems.Take(20))}.");
    }

    private static async Task<TableOutcome> UpsertUsersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, LegacyPlan plan, CancellationToken ct)
    {
        // Users without a legacy hash get one nobody knows (an administrator sets a temporary password) and must change it.
        var unusable = plan.Users.Any(u => u.PasswordHash is null) ? Passwords.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))) : "";
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO users (id, username, display_name, email, password_hash, is_active, created_at, security_stamp, must_change_password, is_system_admin)
            SELECT gen_random_uuid(), p.username, p.display_name, p.email, coalesce(p.hash, @unusable), p.is_active, coalesce(p.created_at, now()),
                   gen_random_uuid(), p.hash IS NULL, p.is_system_admin
            FROM unnest(@usernames, @names, @emails, @hashes, @active, @admins, @created) AS p(username, display_name, email, hash, is_active, is_system_admin, created_at)
            LEFT JOIN users u ON u.username = p.username
            WHERE u.id IS NULL OR (u.display_name, u.email, u.is_active, u.is_system_admin) IS DISTINCT FROM (p.display_name, p.email, p.is_active, p.is_system_admin)
            ON CONFLICT (username) DO UPDATE
            SET display_name = EXCLUDED.display_name, email = EXCLUDED.email, is_active = EXCLUDED.is_active, is_system_admin = EXCLUDED.is_system_admin,
                -- As UserAdministration does: (de)activation or a system admin change ends the user's sessions.
                security_stamp = CASE WHEN (users.is_active, users.is_system_admin) IS DISTINCT FROM (EXCLUDED.is_active, EXCLUDED.is_system_admin)
                                      THEN EXCLUDED.security_stamp ELSE users.security_stamp END
            WHERE (users.display_name, users.email, users.is_active, users.is_system_admin)
                  IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.email, EXCLUDED.is_active, EXCLUDED.is_system_admin)
            RETURNING (xmax = 0)
            """, conn, tx);
        cmd.Parameters.AddWithValue("unusable", unusable);
        cmd.Parameters.Add(Array("usernames", plan.Users.Select(u => u.Username)));
        cmd.Parameters.Add(Array("names", plan.Users.Select(u => u.DisplayName)));
        cmd.Parameters.Add(Array("emails", plan.Users.Select(u => u.Email)));
        cmd.Parameters.Add(Array("hashes", plan.Users.Select(u => u.PasswordHash)));
        cmd.Parameters.Add(new NpgsqlParameter("active", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = plan.Users.Select(u => u.IsActive).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("admins", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = plan.Users.Select(u => u.IsSystemAdmin).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("created", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = plan.Users.Select(u => u.CreatedAt?.UtcDateTime).ToArray() });
        var (created, updated) = await CountAsync(cmd, ct);
        var withoutPassword = plan.Users.Count(u => u.PasswordHash is null);
        return new TableOutcome("users", plan.Users.Count, created, updated, plan.Users.Count - created - updated,
            string.Join("; ", new[]
            {
                withoutPassword < plan.Users.Count ? $"{plan.Users.Count - withoutPassword} bcrypt hashes carried over, rehashed at first sign-in" : null,
                withoutPassword > 0 ? $"{withoutPassword} without a local password: an administrator sets a temporary one" : null,
                "existing passwords are never replaced",
            }.OfType<string>()));
    }

    private static async Task<TableOutcome> UpsertOrganizationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, LegacyPlan plan, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version)
            SELECT gen_random_uuid(), p.code, p.name, p.is_active, true, 'active', 0 FROM unnest(@codes, @names, @active) AS p(code, name, is_active)
            LEFT JOIN organizations o ON o.code = p.code
            WHERE o.id IS NULL OR (o.name, o.is_active) IS DISTINCT FROM (p.name, p.is_active)
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, is_active = EXCLUDED.is_active
            WHERE (organizations.name, organizations.is_active) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.is_active)
            RETURNING (xmax = 0)
            """, conn, tx);
        cmd.Parameters.Add(Array("codes", plan.Organizations.Select(o => o.Code)));
        cmd.Parameters.Add(Array("names", plan.Organizations.Select(o => o.Name)));
        cmd.Parameters.Add(new NpgsqlParameter("active", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = plan.Organizations.Select(o => o.IsActive).ToArray() });
        var (created, updated) = await CountAsync(cmd, ct);
        return new TableOutcome("organizations", plan.Organizations.Count, created, updated, plan.Organizations.Count - created - updated);
    }

    private static async Task<TableOutcome> UpsertMembershipsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, LegacyPlan plan, LegacyKeys keys, CancellationToken ct)
    {
        var (usernames, codes) = keys;
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO memberships (user_id, organization_id, role, draft_version, permissions_granted, permissions_revoked)
            SELECT u.id, o.id, p.role, 0, p.granted, p.revoked
            FROM unnest(@usernames, @codes, @roles, @granted, @revoked) AS p(username, code, role, granted, revoked)
            JOIN users u ON u.username = p.username JOIN organizations o ON o.code = p.code
            LEFT JOIN memberships x ON x.user_id = u.id AND x.organization_id = o.id
            WHERE x.user_id IS NULL OR (x.role, x.permissions_granted, x.permissions_revoked) IS DISTINCT FROM (p.role, p.granted, p.revoked)
            ON CONFLICT (user_id, organization_id) DO UPDATE
            SET role = EXCLUDED.role, permissions_granted = EXCLUDED.permissions_granted, permissions_revoked = EXCLUDED.permissions_revoked
            WHERE (memberships.role, memberships.permissions_granted, memberships.permissions_revoked)
                  IS DISTINCT FROM (EXCLUDED.role, EXCLUDED.permissions_granted, EXCLUDED.permissions_revoked)
            RETURNING (xmax = 0)
            """, conn, tx);
        cmd.Parameters.Add(Array("usernames", plan.Memberships.Select(m => usernames[m.UserLegacyId])));
        cmd.Parameters.Add(Array("codes", plan.Memberships.Select(m => codes[m.OrganizationLegacyId])));
        cmd.Parameters.Add(Array("roles", plan.Memberships.Select(m => m.Role.ToString())));
        cmd.Parameters.Add(new NpgsqlParameter("granted", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = plan.Memberships.Select(m => (int)m.Granted).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("revoked", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = plan.Memberships.Select(m => (int)m.Revoked).ToArray() });
        var (created, updated) = await CountAsync(cmd, ct);
        var overrides = plan.Memberships.Count(m => m.Granted != 0 || m.Revoked != 0);
        return new TableOutcome("user_organizations", plan.Memberships.Count, created, updated, plan.Memberships.Count - created - updated,
            $"owner/admin → Admin, member → Editor, viewer → Viewer; {overrides} with permission overrides");
    }

    /// <summary>
    /// Connections compare in memory (a stored password is Data Protection ciphertext, different at every encryption): a row
    /// changes only when an address field, the user name or the decrypted password differs. Without decrypted credentials an
    /// existing row keeps its own.
    /// </summary>
    private static async Task<TableOutcome> UpsertConnectionsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, LegacyPlan plan, LegacyKeys keys,
        LegacyImportOptions options, CancellationToken ct)
    {
        var codes = keys.Codes;
        var existing = new Dictionary<string, (string BaseUrl, string Tenant, string GridId, string ScreenId, string Username, string? Password)>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("""
            SELECT o.code, c.base_url, c.tenant, c.grid_id, c.screen_id, c.username, c.password_protected
            FROM pems_connection c JOIN organizations o ON o.id = c.organization_id WHERE o.code = ANY(@codes)
            """, conn, tx))
        {
            read.Parameters.Add(Array("codes", plan.Connections.Select(c => codes[c.OrganizationLegacyId])));
            await using var r = await read.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                existing[r.GetString(0)] = (r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6));
        }

        var rows = new List<(string Code, PlannedConnection Plan, string Username, string? Password)>();
        int created = 0, updated = 0;
        foreach (var c in plan.Connections)
        {
            var code = codes[c.OrganizationLegacyId];
            if (existing.TryGetValue(code, out var old))
            {
                var sameAddress = (old.BaseUrl, old.Tenant, old.GridId, old.ScreenId) == (c.BaseUrl, c.Tenant, c.GridId, c.ScreenId);
                var sameSecrets = !c.HasSecrets || (old.Username == c.Username && SamePassword(old.Password, c.Password, options.Protector));
                if (sameAddress && sameSecrets) continue;
                updated++;
                rows.Add((code, c, c.HasSecrets ? c.Username! : old.Username, c.HasSecrets ? Protect(c.Password, options) : old.Password));
            }
            else
            {
                created++;
                rows.Add((code, c, c.Username ?? "", c.HasSecrets ? Protect(c.Password, options) : null));
            }
        }
        if (rows.Count > 0)
        {
            await using var write = new NpgsqlCommand("""
                INSERT INTO pems_connection (organization_id, base_url, tenant, grid_id, screen_id, username, password_protected, updated_at, updated_by)
                SELECT o.id, p.base_url, p.tenant, p.grid_id, p.screen_id, p.username, p.password, now(), @actor
                FROM unnest(@codes, @urls, @tenants, @grids, @screens, @usernames, @passwords) AS p(code, base_url, tenant, grid_id, screen_id, username, password)
                JOIN organizations o ON o.code = p.code
                ON CONFLICT (organization_id) DO UPDATE
                SET base_url = EXCLUDED.base_url, tenant = EXCLUDED.tenant, grid_id = EXCLUDED.grid_id, screen_id = EXCLUDED.screen_id,
                    username = EXCLUDED.username, password_protected = EXCLUDED.password_protected, updated_at = now(), updated_by = @actor
                """, conn, tx);
            write.Parameters.AddWithValue("actor", Actor);
            write.Parameters.Add(Array("codes", rows.Select(r => r.Code)));
            write.Parameters.Add(Array("urls", rows.Select(r => r.Plan.BaseUrl)));
            write.Parameters.Add(Array("tenants", rows.Select(r => r.Plan.Tenant)));
            write.Parameters.Add(Array("grids", rows.Select(r => r.Plan.GridId)));
            write.Parameters.Add(Array("screens", rows.Select(r => r.Plan.ScreenId)));
            write.Parameters.Add(Array("usernames", rows.Select(r => r.Username)));
            write.Parameters.Add(Array("passwords", rows.Select(r => r.Password)));
            await write.ExecuteNonQueryAsync(ct);
        }
        var withoutSecrets = plan.Connections.Count(c => !c.HasSecrets);
        return new TableOutcome("api_configurations → pems_connection", plan.Connections.Count, created, updated, plan.Connections.Count - created - updated,
            withoutSecrets == 0 ? (plan.Connections.Count > 0 ? "credentials decrypted and re-encrypted with our key ring" : null)
                : $"{withoutSecrets} without credentials: re-enter credentials");
    }

    private static bool SamePassword(string? protectedOld, string? plain, PemsConnectionSecrets? protector)
    {
        if (protectedOld is null || plain is null) return protectedOld is null && plain is null;
        if (protector is null) return false;
        try { return protector.Unprotect(protectedOld) == plain; }
        catch (System.Security.Cryptography.CryptographicException) { return false; } // a key ring that lost its key: write it anew
    }

    private static string? Protect(string? plain, LegacyImportOptions options) =>
        plain is null ? null
        : options.DryRun ? "(dry run)" // never written; a dry run must not create keys in the key ring either
        : (options.Protector ?? throw new InvalidOperationException("A PEMS password was decrypted but no key ring was given to protect it.")).Protect(plain);

    private static async Task<Dictionary<string, Guid>> OrganizationIdsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IEnumerable<string> codes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT code, id FROM organizations WHERE code = ANY(@codes)", conn, tx);
        cmd.Parameters.Add(Array("codes", codes));
        var ids = new Dictionary<string, Guid>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) ids[r.GetString(0)] = r.GetGuid(1);
        return ids;
    }

    /// <summary>
    /// Per table, the imported fields of the source and of the landed rows (looked up by natural key), each sorted and hashed
    /// as "field|field|…" lines; connections without their secrets, records by the mirror's content hash.
    /// </summary>
    private static async Task<List<TableVerification>> VerifyAsync(NpgsqlConnection conn, LegacyPlan plan, LegacyKeys keys, CancellationToken ct)
    {
        var (usernames, codes) = keys;
        var userNames = plan.Users.Select(u => u.Username).ToArray();
        var orgCodes = plan.Organizations.Select(o => o.Code).ToArray();
        var result = new List<TableVerification>
        {
            await VerifyTableAsync(conn, "users",
                plan.Users.Select(u => Line(u.Username, u.DisplayName, u.Email, u.IsActive, u.IsSystemAdmin)),
                "SELECT username, display_name, email, is_active, is_system_admin FROM users WHERE username = ANY(@keys)", userNames, ct),
            await VerifyTableAsync(conn, "organizations",
                plan.Organizations.Select(o => Line(o.Code, o.Name, o.IsActive)),
                "SELECT code, name, is_active FROM organizations WHERE code = ANY(@keys)", orgCodes, ct),
        };
        var pairs = plan.Memberships.Select(m => Line(usernames[m.UserLegacyId], codes[m.OrganizationLegacyId])).ToHashSet(StringComparer.Ordinal);
        result.Add(await VerifyTableAsync(conn, "user_organizations",
            plan.Memberships.Select(m => Line(usernames[m.UserLegacyId], codes[m.OrganizationLegacyId], m.Role.ToString(), (int)m.Granted, (int)m.Revoked)),
            """
            SELECT u.username, o.code, m.role, m.permissions_granted, m.permissions_revoked
            FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id WHERE u.username = ANY(@keys)
            """, userNames, ct, line => pairs.Contains(string.Join('|', line.Split('|')[..2]))));
        result.Add(await VerifyTableAsync(conn, "pems_connection",
            plan.Connections.Select(c => Line(codes[c.OrganizationLegacyId], c.BaseUrl, c.Tenant, c.GridId, c.ScreenId)),
            "SELECT o.code, c.base_url, c.tenant, c.grid_id, c.screen_id FROM pems_connection c JOIN organizations o ON o.id = c.organization_id WHERE o.code = ANY(@keys)",
            plan.Connections.Select(c => codes[c.OrganizationLegacyId]).ToArray(), ct));
        var records = plan.Records.SelectMany(r => r.Value.Select(l => (r.Key, l.PfaId))).Select(k => Line(k.Key, k.PfaId)).ToHashSet(StringComparer.Ordinal);
        result.Add(await VerifyTableAsync(conn, "pfa_records",
            plan.Records.SelectMany(r => r.Value.Select(l => Line(r.Key, l.PfaId, Convert.ToHexStringLower(l.ContentHash)))),
            """
            SELECT o.code, m.pfa_id, encode(m.content_hash, 'hex') FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id
            WHERE o.code = ANY(@keys) AND m.deleted_in_pems_at IS NULL
            """, plan.Records.Keys.ToArray(), ct, line => records.Contains(string.Join('|', line.Split('|')[..2]))));
        return result;
    }

    private static async Task<TableVerification> VerifyTableAsync(NpgsqlConnection conn, string table, IEnumerable<string> source, string sql, string[] keys,
        CancellationToken ct, Func<string, bool>? imported = null)
    {
        var landed = new List<string>();
        await using (var cmd = new NpgsqlCommand(sql, conn))
        {
            cmd.Parameters.Add(Array("keys", keys));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var line = Line(Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : r.GetValue(i)).ToArray());
                if (imported is null || imported(line)) landed.Add(line);
            }
        }
        var expected = source.ToList();
        return new TableVerification(table, expected.Count, Checksum(expected), landed.Count, Checksum(landed));
    }

    private static string Line(params object?[] fields) =>
        string.Join('|', fields.Select(f => f switch { null => "∅", bool b => b ? "t" : "f", _ => Convert.ToString(f, System.Globalization.CultureInfo.InvariantCulture) }));

    private static string Checksum(List<string> lines)
    {
        lines.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    /// <summary>Legacy user id → our username, legacy organization id → our code; built once per run.</summary>
    private sealed record LegacyKeys(Dictionary<string, string> Usernames, Dictionary<string, string> Codes);

    private static LegacyKeys Keys(LegacyPlan plan) =>
        new(plan.Users.ToDictionary(u => u.LegacyId, u => u.Username, StringComparer.Ordinal),
            plan.Organizations.ToDictionary(o => o.LegacyId, o => o.Code, StringComparer.Ordinal));

    private static async Task<(int Created, int Updated)> CountAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        int created = 0, updated = 0;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (r.GetBoolean(0)) created++; else updated++;
        return (created, updated);
    }

    private static NpgsqlParameter Array(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };
}
