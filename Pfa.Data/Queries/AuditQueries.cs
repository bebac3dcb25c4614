using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Pfa.Data.Queries;

/// <summary>Filters of the audit page and its CSV export. <see cref="User"/> is a user id or an actor name.</summary>
public sealed record AuditFilter(Guid? OrganizationId, string? User, string? Action, string? Outcome, DateTimeOffset? From, DateTimeOffset? To);

public sealed record AuditRow(long Id, DateTimeOffset At, Guid? UserId, string? ActorName, string? Organization, string Action, string Outcome,
    string? Entity, string? EntityId, string? Details, string? Ip);

/// <summary>
/// Reads audit_log newest first, keyset-paged on id. Organization-scoped readers run inside a <see cref="TenantSession"/>
/// whose organizations are only those they hold ViewAudit in, so row-level security is the wall and the explicit
/// <c>organization_id = ANY(@scope)</c> the first filter; system admins read on the owner connection.
/// </summary>
public static class AuditQueries
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, AuditFilter f, Guid[]? scope, long? before, int? limit)
    {
        var sql = new StringBuilder("""
            SELECT a.id, a.at, a.user_id, a.actor_name, o.code, a.action, a.outcome, a.entity, a.entity_id, a.details::text, a.ip
            FROM audit_log a LEFT JOIN organizations o ON o.id = a.organization_id
            WHERE true
            """);
        var cmd = new NpgsqlCommand { Connection = connection, Transaction = tx };
        void Add(string clause, string name, object value, NpgsqlDbType type)
        {
            sql.Append("\n  AND ").Append(clause);
            cmd.Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
        }
        if (scope is not null) Add("a.organization_id = ANY (@scope)", "scope", scope, NpgsqlDbType.Array | NpgsqlDbType.Uuid);
        if (f.OrganizationId is { } org) Add("a.organization_id = @org", "org", org, NpgsqlDbType.Uuid);
        if (f.User is { Length: > 0 } user)
        {
            if (Guid.TryParse(user, out var id)) Add("a.user_id = @user", "user", id, NpgsqlDbType.Uuid);
            else Add("a.actor_name = @actor", "actor", user.Trim().ToLowerInvariant(), NpgsqlDbType.Text);
        }
        if (f.Action is { Length: > 0 } action) Add("a.action = @action", "action", action, NpgsqlDbType.Text);
        if (f.Outcome is { Length: > 0 } outcome) Add("a.outcome = @outcome", "outcome", outcome, NpgsqlDbType.Text);
        if (f.From is { } from) Add("a.at >= @from", "from", from.ToUniversalTime(), NpgsqlDbType.TimestampTz);
        if (f.To is { } to) Add("a.at < @to", "to", to.ToUniversalTime(), NpgsqlDbType.TimestampTz);
        if (before is { } b) Add("a.id < @before", "before", b, NpgsqlDbType.Bigint);
        sql.Append("\nORDER BY a.id DESC");
        if (limit is { } l) sql.Append("\nLIMIT ").Append(l);
        cmd.CommandText = sql.ToString();
        return cmd;
    }

    public static AuditRow Read(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1),
        r.IsDBNull(2) ? null : r.GetGuid(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5),
        r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9),
        r.IsDBNull(10) ? null : r.GetString(10));
}
