using Microsoft.Extensions.Logging.Abstractions;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>Outbox → CUPFA2 UPDATE against the simulator: the write lands, a PEMS edit meanwhile is a conflict, transient failures retry.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class WriteBackTests(InfrastructureFixture infra)
{
    private static WriteBackRunner WriteBack(SyncHarness h, PemsClient? client = null) =>
        new(h.Db, client ?? h.Simulator.CreatePemsClient(), new PemsRowNormalizer(PemsFieldMapping.Default), NullLogger<WriteBackRunner>.Instance);

    [Fact]
    public async Task A_committed_delta_reaches_PEMS_with_its_values_and_the_mirror_line_follows()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        await h.RunAsync();
        var (mirrorId, pfaId, rate) = await LineAsync(h);
        var user = await h.Api.CreateUserAsync(ApiHost.Unique("wbed").ToLowerInvariant(), (h.OrgId, "Editor"));
        var newRate = rate + 250.5m;
        var delta = await h.CommitDeltaAsync(user, pfaId, $$"""{"monthlyRate": {{newRate}}, "forecastEnd": "2031-03-15"}""");
        var versionBefore = await h.OrgMirrorVersionAsync();

        var result = await WriteBack(h).RunAsync(h.OrgId, h.Code, Http.Ct);

        Assert.True(new WriteBackResult(1, 0, 0, 0) == result, string.Join(" | ", await h.ListAsync("SELECT coalesce(last_error, '') FROM pfa_outbox WHERE organization_id = @org", r => r.GetString(0))));
        var pems = PemsWriteMapping.Default.FromUds(await h.Simulator.CreatePemsClient().GetRecordAsync(h.Code, pfaId, Http.Ct), ["monthlyRate", "forecastEnd"]);
        Assert.Equal(newRate, pems["monthlyRate"]);
        Assert.Equal(new DateOnly(2031, 3, 15), pems["forecastEnd"]);
        Assert.Equal(("synced", "done"), await StatesAsync(h, delta));
        Assert.Equal((newRate, "2031-03-15", 2), (await h.ListAsync($"SELECT monthly_rate, data->>'forecastEnd', mirror_version FROM pfa_mirror WHERE id = {mirrorId}",
            r => (r.GetDecimal(0), r.GetString(1), r.GetInt32(2)))).Single());
        Assert.Equal(versionBefore + 1, await h.OrgMirrorVersionAsync());
        // One audit row for the pass, with its counts.
        Assert.Equal(("success", 1, 0), (await h.ListAsync(
            "SELECT outcome, (details->>'written')::int, (details->>'conflicts')::int FROM audit_log WHERE organization_id = @org AND action = 'writeback.pass'",
            r => (r.GetString(0), r.GetInt32(1), r.GetInt32(2)))).Single());
        // Done rows are not written again; the next read sync sees PEMS = mirror.
        Assert.Equal(new WriteBackResult(0, 0, 0, 0), await WriteBack(h).RunAsync(h.OrgId, h.Code, Http.Ct));
        Assert.Equal(0, (await h.RunAsync()).Updated);
    }

    [Fact]
    public async Task An_edit_made_in_PEMS_meanwhile_to_the_same_field_is_a_conflict_and_PEMS_keeps_its_value()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        await h.RunAsync();
        var (_, pfaId, rate) = await LineAsync(h);
        var user = await h.Api.CreateUserAsync(ApiHost.Unique("wbcf").ToLowerInvariant(), (h.OrgId, "Editor"));
        var delta = await h.CommitDeltaAsync(user, pfaId, $$"""{"monthlyRate": {{rate + 1m}}}""");
        var client = h.Simulator.CreatePemsClient();
        await client.UpdateRecordAsync(h.Code, pfaId, PemsWriteMapping.Default.ToUds(new Dictionary<string, object?> { ["monthlyRate"] = rate + 999m }), Http.Ct);

        var result = await WriteBack(h).RunAsync(h.OrgId, h.Code, Http.Ct);

        Assert.Equal(new WriteBackResult(0, 1, 0, 0), result);
        Assert.Equal(rate + 999m, PemsWriteMapping.Default.FromUds(await client.GetRecordAsync(h.Code, pfaId, Http.Ct), ["monthlyRate"])["monthlyRate"]);
        Assert.Equal(("failure", 0, 1), (await h.ListAsync(
            "SELECT outcome, (details->>'written')::int, (details->>'conflicts')::int FROM audit_log WHERE organization_id = @org AND action = 'writeback.pass'",
            r => (r.GetString(0), r.GetInt32(1), r.GetInt32(2)))).Single());
        Assert.Equal(("conflict", "failed"), await StatesAsync(h, delta));
        Assert.Equal(["monthlyRate"], (await h.ListAsync($"SELECT unnest(conflict_fields) FROM pfa_modification WHERE id = '{delta}'", r => r.GetString(0))));
    }

    [Fact]
    public async Task PEMS_errors_are_retried_later_with_the_reason_and_the_write_applies_once()
    {
        await using var h = await SyncHarness.CreateAsync(infra);
        await h.RunAsync();
        var (_, pfaId, rate) = await LineAsync(h);
        var user = await h.Api.CreateUserAsync(ApiHost.Unique("wbrt").ToLowerInvariant(), (h.OrgId, "Editor"));
        var delta = await h.CommitDeltaAsync(user, pfaId, $$"""{"monthlyRate": {{rate + 7m}}}""");
        // Every attempt of the client's call fails (it makes five): the outbox row is rescheduled, not lost.
        await h.Simulator.QueueFaultsAsync("503", "503", "503", "503", "503");

        var first = await WriteBack(h).RunAsync(h.OrgId, h.Code, Http.Ct);

        Assert.Equal(new WriteBackResult(0, 0, 1, 0), first);
        var (status, attempts, due, error) = (await h.ListAsync($"SELECT status, attempts, next_attempt_at > now(), last_error FROM pfa_outbox WHERE modification_id = '{delta}'",
            r => (r.GetString(0), r.GetInt32(1), r.GetBoolean(2), r.GetString(3)))).Single();
        Assert.Equal(("pending", 1, true), (status, attempts, due));
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Equal(new WriteBackResult(0, 0, 0, 0), await WriteBack(h).RunAsync(h.OrgId, h.Code, Http.Ct)); // not due yet

        await using (var cmd = h.Db.CreateCommand($"UPDATE pfa_outbox SET next_attempt_at = now() WHERE modification_id = '{delta}'"))
            await cmd.ExecuteNonQueryAsync(Http.Ct);
        Assert.Equal(new WriteBackResult(1, 0, 0, 0), await WriteBack(h).RunAsync(h.OrgId, h.Code, Http.Ct));
        Assert.Equal(("synced", "done"), await StatesAsync(h, delta));
        Assert.Equal(rate + 7m, PemsWriteMapping.Default.FromUds(await h.Simulator.CreatePemsClient().GetRecordAsync(h.Code, pfaId, Http.Ct), ["monthlyRate"])["monthlyRate"]);
    }

    private static async Task<(long Id, string PfaId, decimal Rate)> LineAsync(SyncHarness h) =>
        (await h.ListAsync("SELECT id, pfa_id, monthly_rate FROM pfa_mirror WHERE organization_id = @org AND NOT is_actualized ORDER BY pfa_id LIMIT 1",
            r => (r.GetInt64(0), r.GetString(1), r.GetDecimal(2)))).Single();

    private static async Task<(string, string)> StatesAsync(SyncHarness h, Guid delta) =>
        (await h.ListAsync($"SELECT d.state, o.status FROM pfa_modification d JOIN pfa_outbox o ON o.modification_id = d.id WHERE d.id = '{delta}'",
            r => (r.GetString(0), r.GetString(1)))).Single();
}
