using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pfa.Data;

namespace Pfa.SyncWorker;

/// <summary>
/// The API owns migrations (`Pfa.Api --migrate`, or at start in Development). The worker only waits for the schema,
/// except in Development when it is missing altogether: then it applies the same EF migrations the API would.
/// </summary>
public sealed class SchemaGuard(NpgsqlDataSource db, IServiceProvider services, IHostEnvironment env, ILogger<SchemaGuard> logger)
{
    private bool _ready;
    public bool IsReady => _ready;

    public async Task<bool> EnsureAsync(CancellationToken ct)
    {
        if (_ready) return true;
        await using (var cmd = db.CreateCommand("SELECT to_regclass('pfa_mirror') IS NOT NULL AND to_regclass('sync_log') IS NOT NULL"))
            _ready = (bool)(await cmd.ExecuteScalarAsync(ct))!;
        if (_ready) return true;
        if (!env.IsDevelopment())
        {
            logger.LogWarning("Schema missing; waiting for `Pfa.Api --migrate`");
            return false;
        }
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<PfaDbContext>().MigrateSeriallyAsync(ct);
        logger.LogInformation("Schema was missing; applied migrations (Development)");
        return _ready = true;
    }
}
