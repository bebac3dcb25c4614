using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pfa.Data.Queries;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;
using Pfa.PemsSimulator;
using Pfa.SyncWorker;

namespace Pfa.Benchmarks;

/// <summary>
/// Issue 6 item 5: the read sync end to end. The PEMS simulator (in-process, on Kestrel, so the worker reads real HTTP)
/// is seeded with one organization of <see cref="BenchmarkOptions.SyncLines"/> lines; the real <see cref="SyncRunner"/>
/// with the worker's default options writes them into the benchmark database next to the loaded data set. Rows written
/// are counted by PostgreSQL (tuples whose xmin is newer than the run's start), never taken from the runner's own tally.
/// </summary>
internal sealed class SyncWorkloads(BenchmarkOptions options, NpgsqlDataSource db, BenchmarkReport report, Action<string> log, CancellationToken ct)
{
    private const string Tenant = "BENCH_TENANT", User = "PFA_BENCH", Password = "bench-pems";

    public async Task RunAsync()
    {
        var lines = options.SyncLines;
        // Two organizations of the same size: a warm-up one (JIT, pools, simulator paths) and the measured one.
        var (warm, measured) = ("SYNCWARM", "SYNCBENCH");
        log($"Starting the PEMS simulator with {lines:N0} lines per organization…");
        await using var simulator = new WebApplicationFactory<PemsSimulatorMarker>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            b.UseUrls("http://127.0.0.1:0");
            b.UseSetting("PemsSimulator:Organizations:0", warm);
            b.UseSetting("PemsSimulator:Organizations:1", measured);
            b.UseSetting("PemsSimulator:RecordsPerOrganization", lines.ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.UseSetting("PemsSimulator:Tenant", Tenant);
            b.UseSetting("PemsSimulator:UserName", User);
            b.UseSetting("PemsSimulator:Password", Password);
            b.UseSetting("PemsSimulator:Seed", "6");
            b.ConfigureLogging(l => l.ClearProviders());
        });
        simulator.UseKestrel(0);
        simulator.StartServer();
        var http = simulator.CreateClient();
        http.Timeout = Timeout.InfiniteTimeSpan;
        var pems = new PemsClient(http, new PemsClientOptions
        {
            BaseAddress = new Uri(http.BaseAddress!, "axis/restservices/"), Tenant = Tenant, UserName = User, Password = Password,
        });
        // The worker's own defaults (page size, overlap), no Redis: events are best effort and not what is measured.
        var runner = new SyncRunner(db, pems, new PemsRowNormalizer(PemsFieldMapping.Default), Options.Create(new SyncOptions()),
            new SyncEvents(NullLogger<SyncEvents>.Instance), NullLogger<SyncRunner>.Instance);

        var warmId = await CreateOrgAsync(warm);
        var orgId = await CreateOrgAsync(measured);
        await SyncAsync(runner, warmId, warm, SyncKind.Full);

        // 0. Where the time goes: each stage of the full sync alone, in sequence, over the measured organization's lines.
        await StagesAsync(http, pems, measured, lines);

        // 1. First full sync into an empty organization: every line fetched, normalised, staged and inserted.
        var full = await SyncAsync(runner, orgId, measured, SyncKind.Full);
        var fullRate = full.Result.Inserted / full.Seconds;
        report.Metrics.Add(new Metric($"full sync of {lines:N0} lines, end to end", "records/s", Value: fullRate,
            Errors: full.Result.Inserted == lines && full.Result.Outcome == SyncOutcome.Completed ? 0 : 1,
            Note: $"{full.Seconds * 1000:F0} ms; simulator over loopback HTTP → SyncRunner → pfa_mirror (1 transaction per {new SyncOptions().PageSize:N0}-row page) " +
                  $"+ KPI summary refresh; fetched {full.Result.Fetched:N0}, inserted {full.Result.Inserted:N0}, rows written {full.RowsWritten:N0}"));

        // 2. The floor: the very rows the sync wrote, binary-COPYed into the same table for another organization.
        var floor = await CopyFloorAsync(orgId, lines);
        report.Metrics.Add(new Metric("full sync: COPY floor / end-to-end time ratio", "×", Value: fullRate > 0 ? floor / fullRate : null));

        // 3. No change: a full reconciliation (reads every line) and an incremental run (reads what changed since the mark).
        foreach (var kind in new[] { SyncKind.Full, SyncKind.Incremental })
        {
            var none = await SyncAsync(runner, orgId, measured, kind);
            var label = kind == SyncKind.Full ? $"no-change full reconciliation of {lines:N0} lines" : "no-change incremental sync";
            report.Metrics.Add(new Metric($"{label}: rows written", "rows", Value: none.RowsWritten, Errors: none.Result.Outcome == SyncOutcome.Completed ? 0 : 1,
                Note: $"{none.Seconds * 1000:F0} ms; fetched {none.Result.Fetched:N0}, unchanged {none.Result.Unchanged:N0}, " +
                      $"inserted+updated+deleted {none.Result.Inserted + none.Result.Updated + none.Result.Deleted}"));
            report.Metrics.Add(new Metric($"{label}: duration", "ms", Value: none.Seconds * 1000));
        }

        // 4. 1% of the lines edited in PEMS (simulator admin), then an incremental run.
        var changed = Math.Max(1, lines / 100);
        using (var admin = simulator.CreateClient())
            (await admin.PostAsync($"/admin/mutate?organization={measured}&count={changed}&seed=11", null, ct)).EnsureSuccessStatusCode();
        var incremental = await SyncAsync(runner, orgId, measured, SyncKind.Incremental);
        report.Metrics.Add(new Metric($"incremental sync, 1% changed ({changed:N0} of {lines:N0} lines)", "ms", Value: incremental.Seconds * 1000,
            Errors: incremental.Result.Updated == changed && incremental.Result.Outcome == SyncOutcome.Completed ? 0 : 1,
            Note: $"fetched {incremental.Result.Fetched:N0}, updated {incremental.Result.Updated:N0}, rows written {incremental.RowsWritten:N0} " +
                  "(mirror rows + their history rows) + KPI summary refresh"));
    }

    /// <summary>
    /// The full sync taken apart, each stage timed alone over the same lines with the runner's page size: the PEMS side
    /// (the simulator building and serialising pages + loopback HTTP, bodies read and dropped), our streaming parse on top
    /// of it, normalising + JSON + SHA-256 of the parsed rows, the mirror write of the resulting batches (the runner's own
    /// <see cref="MirrorUpsert"/> calls, a full run's seen set and tombstone pass included) into an empty organization, and
    /// the KPI summary refresh that follows a change. The simulator stands for PEMS, which is not ours: its share is the
    /// part no change of ours can remove.
    /// </summary>
    private async Task StagesAsync(HttpClient http, PemsClient pems, string code, int lines)
    {
        var pageSize = new SyncOptions().PageSize;
        var query = new GridQuery { KeysetPaging = true, PageSize = pageSize };
        // CPU of this process (simulator, HTTP, parser, normaliser) beside wall time: on a shared box it is the steadier figure.
        var process = Process.GetCurrentProcess();
        double Cpu() { process.Refresh(); return process.TotalProcessorTime.TotalSeconds; }
        var cpu0 = Cpu();
        var t = Stopwatch.StartNew();
        var pages = new List<GridPage>();
        await foreach (var page in pems.ReadGridPagesAsync(code, query, ct)) pages.Add(page);
        var parsed = t.Elapsed.TotalSeconds;
        var parsedCpu = Cpu() - cpu0;
        var rows = pages.Sum(p => p.Rows.Count);

        // The same requests again, bodies drained without parsing: what PEMS (here the simulator) and HTTP cost alone.
        cpu0 = Cpu();
        t.Restart();
        long bytes = 0;
        string? last = null;
        var buffer = new byte[64 * 1024];
        foreach (var page in pages)
        {
            var keyed = last is null ? query : new GridQuery
            {
                KeysetPaging = true, PageSize = pageSize,
                Filters = [new GridMultiFilterItem { AliasName = CupfagGrid.PfaId, Operator = GridFilterOperator.Greater, Value = last }],
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(http.BaseAddress!, "axis/restservices/griddata"))
            {
                Content = JsonContent.Create(pems.BuildGridRequest(code, keyed, 0, pageSize)),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
            request.Headers.Add("tenant", Tenant);
            request.Headers.Add("organization", code);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            for (int n; (n = await body.ReadAsync(buffer, ct)) > 0;) bytes += n;
            last = page.Rows.Count > 0 ? page.Rows[^1][CupfagGrid.PfaId] : last;
        }
        var raw = t.Elapsed.TotalSeconds;
        var rawCpu = Cpu() - cpu0;

        cpu0 = Cpu();
        t.Restart();
        var normalizer = new PemsRowNormalizer(PemsFieldMapping.Default);
        var batches = pages.Select(p => SyncBatch.From(p, code, normalizer)).ToList();
        var normalise = t.Elapsed.TotalSeconds;
        var normaliseCpu = Cpu() - cpu0;

        var stageOrg = await CreateOrgAsync("SYNCSTAGE");
        const long StageSyncId = -1; // the seen set's key; no sync_log row is needed for it
        t.Restart();
        foreach (var batch in batches)
            await MirrorUpsert.UpsertBatchAsync(db, stageOrg, StageSyncId, stampSeen: true, batch.Records.Values, batch.RejectedIds, ct);
        var written = t.Elapsed.TotalSeconds;
        t.Restart();
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await MirrorUpsert.TombstoneUnseenAsync(conn, tx, stageOrg, StageSyncId, ct);
            await MirrorUpsert.MarkConflictsAsync(conn, tx, stageOrg, ct);
            await tx.CommitAsync(ct);
        }
        var tombstones = t.Elapsed.TotalSeconds;
        t.Restart();
        await PfaStore.MirrorChangedAsync(db, stageOrg, ct);
        var refresh = t.Elapsed.TotalSeconds;

        var total = parsed + normalise + written + tombstones + refresh;
        void Stage(string name, double seconds, string note) => report.Metrics.Add(new Metric($"sync stage: {name}", "records/s",
            Value: rows / seconds, Errors: rows == lines ? 0 : 1,
            Note: $"{seconds * 1000:F0} ms, {seconds / total:P0} of the stages' sum; {note}"));
        Stage("PEMS pages read (simulator + loopback HTTP, bodies drained)", raw,
            $"{pages.Count} pages of ≤ {pageSize:N0} rows, {bytes / (1024.0 * 1024):F1} MiB, process CPU {rawCpu * 1000:F0} ms; the part PEMS (here the simulator) and the network own");
        Stage("PEMS pages read and parsed (+ streaming grid parser)", parsed,
            $"parser ≈ {Math.Max(0, parsed - raw) * 1000:F0} ms wall, {Math.Max(0, parsedCpu - rawCpu) * 1000:F0} ms CPU over the drained read");
        Stage("normalise + mirror JSON + SHA-256", normalise, $"{batches.Sum(b => b.Records.Count):N0} records, CPU {normaliseCpu * 1000:F0} ms");
        Stage("mirror write (stage COPY, history, INSERT … ON CONFLICT, seen set)", written, $"{batches.Count} transactions into an empty organization");
        Stage("tombstone pass + conflict marking", tombstones, "one transaction");
        Stage("KPI summaries after the change (MirrorChangedAsync)", refresh, "");
        log($"  sync stages: read {raw * 1000:F0} ms (CPU {rawCpu * 1000:F0}), read+parse {parsed * 1000:F0} ms (CPU {parsedCpu * 1000:F0}), " +
            $"normalise {normalise * 1000:F0} ms (CPU {normaliseCpu * 1000:F0}), write {written * 1000:F0} ms, " +
            $"tombstones {tombstones * 1000:F0} ms, KPI refresh {refresh * 1000:F0} ms");
    }

    private sealed record Timed(SyncRunResult Result, double Seconds, long RowsWritten);

    private async Task<Timed> SyncAsync(SyncRunner runner, Guid orgId, string code, SyncKind kind)
    {
        var before = await XidAsync();
        var t = Stopwatch.StartNew();
        var result = await runner.RunAsync(orgId, code, kind, "benchmark", ct);
        var seconds = t.Elapsed.TotalSeconds;
        if (result.Error is { } error) log($"  sync {code} ({kind}) failed: {error}");
        var written = await RowsWrittenSinceAsync(orgId, before);
        log($"  sync {code} ({kind}): {seconds * 1000:F0} ms, fetched {result.Fetched:N0}, inserted {result.Inserted:N0}, updated {result.Updated:N0}, " +
            $"unchanged {result.Unchanged:N0}, rows written {written:N0}");
        return new Timed(result, seconds, written);
    }

    private async Task<long> XidAsync()
    {
        await using var cmd = db.CreateCommand("SELECT txid_current()");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Mirror and history tuples of the organization created by transactions after <paramref name="xid"/> (an insert or an
    /// update each makes one). The benchmark's cluster is fresh, so 32-bit xids have not wrapped.
    /// </summary>
    private async Task<long> RowsWrittenSinceAsync(Guid orgId, long xid)
    {
        await using var cmd = db.CreateCommand("""
            SELECT (SELECT count(*) FROM pfa_mirror WHERE organization_id = $1 AND xmin::text::bigint > $2)
                 + (SELECT count(*) FROM pfa_mirror_history WHERE organization_id = $1 AND xmin::text::bigint > $2)
            """);
        cmd.Parameters.AddWithValue(orgId);
        cmd.Parameters.AddWithValue(xid % (1L << 32));
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private async Task<Guid> CreateOrgAsync(string code)
    {
        var id = Guid.NewGuid();
        await using var cmd = db.CreateCommand("INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES ($1, $2, $2, true, true, 'active', 1)");
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(code);
        await cmd.ExecuteNonQueryAsync(ct);
        return id;
    }

    /// <summary>The sync's physical floor: binary COPY of the rows the sync wrote (read back beforehand) into pfa_mirror for a fresh organization.</summary>
    private async Task<double> CopyFloorAsync(Guid syncedOrg, int lines)
    {
        var rows = new List<(string PfaId, string Data, string? Version, byte[] Hash)>(lines);
        await using (var read = db.CreateCommand("SELECT pfa_id, data::text, pems_version, content_hash FROM pfa_mirror WHERE organization_id = $1"))
        {
            read.Parameters.AddWithValue(syncedOrg);
            await using var r = await read.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) rows.Add((r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<byte[]>(3)));
        }
        var org = await CreateOrgAsync("SYNCFLOOR");
        await using var conn = await db.OpenConnectionAsync(ct);
        var t = Stopwatch.StartNew();
        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY pfa_mirror (organization_id, pfa_id, data, pems_version, content_hash, mirror_version, last_synced_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var (pfaId, data, version, hash) in rows)
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(org, ct); await w.WriteAsync(pfaId, ct); await w.WriteAsync(data, NpgsqlDbType.Jsonb, ct);
                if (version is null) await w.WriteNullAsync(ct); else await w.WriteAsync(version, ct);
                await w.WriteAsync(hash, ct); await w.WriteAsync(1, ct);
                await w.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            }
            await w.CompleteAsync(ct);
        }
        var seconds = t.Elapsed.TotalSeconds;
        log($"  sync floor: COPY {rows.Count:N0} lines in {seconds:F2} s");
        report.Metrics.Add(new Metric($"sync floor: binary COPY of {rows.Count:N0} lines into pfa_mirror", "records/s", Value: rows.Count / seconds,
            Errors: rows.Count == lines ? 0 : 1,
            Note: $"{seconds * 1000:F0} ms; the rows the full sync wrote, read back beforehand; generated columns and indexes maintained"));
        return rows.Count / seconds;
    }
}
