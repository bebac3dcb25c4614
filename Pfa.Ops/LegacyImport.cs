using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pfa.Data;
using Pfa.Data.Legacy;
using Pfa.SyncWorker;

namespace Pfa.Ops;

/// <summary>
/// <c>./pfa import-legacy</c>: Pfa.Data/Legacy's importer with the two things it leaves to its host: the sync worker's mirror
/// write (MirrorUpsert, so legacy records land exactly as synced ones) and our Data Protection key ring for PEMS passwords.
/// </summary>
public static class LegacyImport
{
    /// <summary>
    /// The mirror write of the sync, outside any sync run (id 0: no run's seen-set is stamped), under the organization's sync
    /// lock for the batch's transaction: a running sync or write-back is waited for, and neither starts while the batch writes.
    /// </summary>
    public static readonly LegacyMirrorWriter MirrorWriter = async (connection, transaction, organizationId, batch, ct) =>
    {
        var (space, key) = SyncRunner.AdvisoryLock(organizationId);
        await using (var wait = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@s, @k)", connection, transaction))
        {
            wait.Parameters.AddWithValue("s", space);
            wait.Parameters.AddWithValue("k", key);
            await wait.ExecuteNonQueryAsync(ct);
        }
        var records = batch.Select(l => new MirrorRecord(l.PfaId, l.Data, l.PemsVersion, l.ContentHash)).ToList();
        var counts = await MirrorUpsert.UpsertBatchAsync(connection, transaction, organizationId, syncId: 0, stampSeen: false, records, [], ct);
        return (counts.Inserted, counts.Updated, counts.Unchanged);
    };

    /// <param name="legacyKeyHex">The old ENCRYPTION_KEY from the environment or configuration, never from a command line.</param>
    public static async Task<LegacyImportReport> RunAsync(string path, string connectionString, string? legacyKeyHex, bool dryRun, CancellationToken ct)
    {
        var secrets = LegacySecrets.FromHex(legacyKeyHex);
        using var source = await LegacySource.OpenAsync(path, ct);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var services = new ServiceCollection()
            .AddDbContext<PfaDbContext>(o => o.UseNpgsql(db))
            .AddPfaDataProtection()
            .BuildServiceProvider();
        return await LegacyImporter.RunAsync(source, db, new LegacyImportOptions
        {
            DryRun = dryRun,
            Secrets = secrets,
            Protector = services.GetRequiredService<PemsConnectionSecrets>(),
            MirrorWriter = MirrorWriter,
        }, ct);
    }
}
