using System.Text.Json;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Audit rows for organization administration and SSO provisioning, in <c>audit_log</c>. One method, so it can be pointed at
/// the shared audit trail service when that exists.
/// </summary>
public sealed class OrganizationAudit(PfaDbContext db, TimeProvider time)
{
    public async Task RecordAsync(Guid? userId, Guid? organizationId, string action, string entity, string entityId, object details, CancellationToken ct)
    {
        db.AuditLogs.Add(new AuditLog
        {
            At = time.GetUtcNow(), UserId = userId, OrganizationId = organizationId, Action = action,
            Entity = entity, EntityId = entityId, Details = JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
        });
        await db.SaveChangesAsync(ct);
    }
}
