using Microsoft.EntityFrameworkCore;

namespace Pfa.Data;

public static class PfaMigrations
{
    // Any fixed key: it only has to be the same in every process that migrates this database.
    private const long MigrationLockKey = 0x5046_415F_4D49_4752; // "PFA_MIGR"

    /// <summary>
    /// Applies pending migrations under a PostgreSQL advisory lock. The API and the worker (and API replicas) may start
    /// together on an empty database; EF's own migration lock does not cover creating the history table, so without this
    /// both would create the same objects and one would crash on "already exists".
    /// </summary>
    public static async Task MigrateSeriallyAsync(this PfaDbContext db, CancellationToken ct = default)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock({0})", [MigrationLockKey], ct);
            try
            {
                await db.Database.MigrateAsync(ct);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock({0})", [MigrationLockKey], CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
