using System.Collections.Concurrent;
using Npgsql;
using Pfa.Data;
using Pfa.Pems;

namespace Pfa.SyncWorker;

/// <summary>
/// Which PEMS an organization talks to: its own pems_connection row (set by an Admin through the API, password decrypted
/// with the shared Data Protection key ring) when it has one, else the worker's configured default. One client per
/// organization and row version, so a changed connection takes effect at the next run.
/// </summary>
public sealed class PemsConnections(NpgsqlDataSource db, PemsConnectionSecrets secrets, PemsClientOptions defaults, PemsClient defaultClient,
    Func<PemsClientOptions, PemsClient> create)
{
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Version, PemsClient Client)> _clients = new();

    public async Task<PemsClient> ClientForAsync(Guid organizationId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "SELECT base_url, tenant, grid_id, screen_id, username, password_protected, updated_at FROM pems_connection WHERE organization_id = $1");
        cmd.Parameters.AddWithValue(organizationId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            _clients.TryRemove(organizationId, out _);
            return defaultClient;
        }
        var version = r.GetFieldValue<DateTimeOffset>(6);
        if (_clients.TryGetValue(organizationId, out var cached) && cached.Version == version) return cached.Client;

        var options = new PemsClientOptions
        {
            BaseAddress = SyncWorkerExtensions.RestServices(new Uri(r.GetString(0))),
            Tenant = r.GetString(1),
            GridId = r.GetString(2),
            ScreenName = r.GetString(3),
            UserName = r.GetString(4),
            Password = r.IsDBNull(5) ? "" : secrets.Unprotect(r.GetString(5)),
            GridName = defaults.GridName,
            DefaultOrganization = defaults.DefaultOrganization,
            PageSize = defaults.PageSize,
            MaxAttempts = defaults.MaxAttempts,
            BaseDelay = defaults.BaseDelay,
            MaxDelay = defaults.MaxDelay,
            AttemptTimeout = defaults.AttemptTimeout,
        };
        var client = create(options);
        _clients[organizationId] = (version, client);
        return client;
    }
}
