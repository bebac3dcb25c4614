using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Pfa.Data;

/// <summary>Action names written to <c>audit_log.action</c>.</summary>
public static class AuditActions
{
    public const string SignIn = "auth.sign-in", PasswordChange = "auth.password-change", PasswordReset = "user.password-reset",
        UserCreate = "user.create", UserUpdate = "user.update", UserDeactivate = "user.deactivate", UserReactivate = "user.reactivate",
        MembershipSet = "membership.set", MembershipRemove = "membership.remove", PermissionsSet = "membership.permissions",
        Commit = "drafts.commit", ConflictResolve = "conflict.resolve", SyncTrigger = "sync.trigger", ExportCsv = "export.csv", ExportXlsx = "export.xlsx",
        PemsConnection = "pems-connection.update", AuditExport = "audit.export", WriteBack = "writeback.pass",
        OrganizationAdd = "organization.add", OrganizationUpdate = "organization.update", UserProvisioned = "user.provisioned-by-sso";
}

/// <summary>One audit row. <see cref="Details"/> is serialised to jsonb; never put a secret in it.</summary>
public sealed record AuditEntry(string Action, string Outcome = AuditOutcome.Success, Guid? UserId = null, string? ActorName = null,
    Guid? OrganizationId = null, string? Entity = null, string? EntityId = null, object? Details = null, string? Ip = null);

/// <summary>
/// The single writer of <c>audit_log</c> (append-only in the database: no UPDATE/DELETE grant for pfa_app and a trigger that
/// refuses both for everyone). Inside a <see cref="TenantSession"/> the row commits or rolls back with the change it records;
/// otherwise it is written on its own connection (sign-ins, user administration, the worker).
/// </summary>
public sealed class AuditTrail(NpgsqlDataSource dataSource)
{
    private const string Insert = """
        INSERT INTO audit_log (at, user_id, organization_id, action, entity, entity_id, details, outcome, actor_name, ip)
        VALUES (now(), @user, @org, @action, @entity, @entity_id, @details, @outcome, @actor, @ip)
        """;

    public async Task RecordAsync(AuditEntry entry, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(Insert);
        Bind(cmd, entry);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task RecordAsync(TenantSession session, AuditEntry entry, CancellationToken ct = default)
    {
        await using var cmd = session.Command(Insert);
        Bind(cmd, entry);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void Bind(NpgsqlCommand cmd, AuditEntry e)
    {
        cmd.Parameters.Add(new NpgsqlParameter("user", NpgsqlDbType.Uuid) { Value = (object?)e.UserId ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("org", NpgsqlDbType.Uuid) { Value = (object?)e.OrganizationId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("action", e.Action);
        cmd.Parameters.Add(new NpgsqlParameter("entity", NpgsqlDbType.Text) { Value = (object?)e.Entity ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("entity_id", NpgsqlDbType.Text) { Value = (object?)e.EntityId ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Jsonb)
            { Value = e.Details is null ? DBNull.Value : JsonSerializer.Serialize(e.Details, JsonSerializerOptions.Web) });
        cmd.Parameters.AddWithValue("outcome", e.Outcome);
        cmd.Parameters.Add(new NpgsqlParameter("actor", NpgsqlDbType.Text) { Value = (object?)Truncate(e.ActorName) ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("ip", NpgsqlDbType.Text) { Value = (object?)e.Ip ?? DBNull.Value });
    }

    private static string? Truncate(string? s) => s is { Length: > 100 } ? s[..100] : s;
}
