using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using Npgsql;
using Pfa.AppHost.Hosting;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>
/// The dashboard's developer commands (Pfa.AppHost/Hosting/DeveloperCommands.cs), executed on the running AppHost as the
/// dashboard does, and judged by their effect on the database.
/// </summary>
[Collection(Name)]
public sealed class DeveloperCommandTests(StackFixture stack)
{
    /// <summary>Its own stack: a reset restarts services and replaces the database under every other test.</summary>
    public const string Name = "developer-commands";

    private const string DemoPassword = "Vanguard-demo-2026!"; // Pfa.Api/appsettings.Development.json
    private static readonly string[] DemoUsers = ["admin", "beo", "editor", "pm", "viewer"];
    private static readonly string[] DemoOrganizations = ["PORTARTHUR", "RIO"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sync_now_is_enabled_on_a_healthy_worker_and_every_sync_enabled_organization_is_synced()
    {
        var app = stack.App;
        await app.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.SyncWorker, Ct);
        await using var db = await DatabaseAsync();
        var organizations = await ListAsync(db, "SELECT code FROM organizations WHERE is_active AND sync_enabled ORDER BY code");
        Assert.NotEmpty(organizations);

        // The dashboard greys the command out unless the worker is running and healthy (UpdateState).
        var command = await WaitForCommandStateAsync(PfaResources.SyncWorker, DeveloperCommands.SyncNowName, ResourceCommandState.Enabled);
        Assert.Equal("Sync now", command.DisplayName);

        var asked = DateTimeOffset.UtcNow.AddSeconds(-1);
        var result = await app.ResourceCommands.ExecuteCommandAsync(PfaResources.SyncWorker, DeveloperCommands.SyncNowName, Ct);

        Assert.True(result.Success, result.Message);
        Assert.Contains("organization", result.Message, StringComparison.Ordinal);
        foreach (var code in organizations) Assert.Contains(code, result.Message, StringComparison.Ordinal);

        // The worker claims the request (the row keeps triggered_by) and completes a read for every organization.
        await EventuallyAsync(async () => (await ListAsync(db, """
            SELECT DISTINCT o.code FROM sync_log l JOIN organizations o ON o.id = l.organization_id
            WHERE l.direction = 'read' AND l.status = 'completed' AND l.started_at >= @asked ORDER BY o.code
            """, ("asked", asked))).SequenceEqual(organizations), "every sync-enabled organization completes a read after Sync now");
        Assert.NotEmpty(await ListAsync(db, "SELECT id::text FROM sync_log WHERE triggered_by = @by AND started_at >= @asked",
            ("by", DeveloperCommands.TriggeredBy), ("asked", asked)));
    }

    [Fact]
    public async Task Reset_demo_data_drops_drafts_and_extra_data_and_brings_back_the_seeded_users_and_organizations()
    {
        var app = stack.App;
        await app.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.Api, Ct);
        await using (var db = await DatabaseAsync())
        {
            // The mirror must hold lines before a draft can be saved on one.
            await EventuallyAsync(async () => (await ListAsync(db, "SELECT m.pfa_id FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = 'RIO' LIMIT 1")).Count == 1,
                "the worker fills the RIO mirror");
            var pfaId = (await ListAsync(db, "SELECT m.pfa_id FROM pfa_mirror m JOIN organizations o ON o.id = m.organization_id WHERE o.code = 'RIO' ORDER BY m.pfa_id LIMIT 1"))[0];

            // What a developer's session leaves behind: a draft saved through the API, a removed demo user, an extra organization.
            using var editor = await SignInAsync("editor");
            var saved = await editor.PostAsJsonAsync("/api/orgs/RIO/drafts", new { items = new[] { new { pfaId, changes = new JsonObject { ["monthlyRate"] = 4321 } } } }, Ct);
            Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync(Ct));
            await ExecuteAsync(db, "DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE username = 'viewer')");
            await ExecuteAsync(db, "DELETE FROM users WHERE username = 'viewer'");
            await ExecuteAsync(db, "INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES (gen_random_uuid(), 'SCRATCH', 'Scratch', true, false, 'active', 0)");
            Assert.NotEmpty(await ListAsync(db, "SELECT id::text FROM pfa_modification"));
        }

        var command = await WaitForCommandStateAsync(PfaResources.Api, DeveloperCommands.ResetDemoDataName, ResourceCommandState.Enabled);
        Assert.Contains("lost", command.ConfirmationMessage, StringComparison.Ordinal);

        var result = await app.ResourceCommands.ExecuteCommandAsync(PfaResources.Api, DeveloperCommands.ResetDemoDataName, Ct);
        Assert.True(result.Success, result.Message + "\n" + app.Describe());

        await using (var db = await DatabaseAsync())
        {
            Assert.Empty(await ListAsync(db, "SELECT id::text FROM pfa_modification"));
            Assert.Empty(await ListAsync(db, "SELECT id::text FROM draft_journal"));
            Assert.Empty(await ListAsync(db, "SELECT id::text FROM pfa_outbox"));
            Assert.Equal(DemoUsers, await ListAsync(db, "SELECT username FROM users ORDER BY username"));
            Assert.Equal(DemoOrganizations, await ListAsync(db, "SELECT code FROM organizations ORDER BY code"));

            // The seeded users sign in again (the api restarted on the new database), and the worker refills the mirror,
            // so the tests after this one find the stack as a fresh start leaves it.
            using var viewer = await SignInAsync("viewer");
            Assert.True((await viewer.GetAsync("/api/me", Ct)).IsSuccessStatusCode);
            await EventuallyAsync(async () => (await ListAsync(db, """
                SELECT DISTINCT o.code FROM sync_log l JOIN organizations o ON o.id = l.organization_id
                WHERE l.direction = 'read' AND l.status = 'completed' ORDER BY o.code
                """)).SequenceEqual(DemoOrganizations), "the worker re-reads PEMS into the new mirror");
        }
        await app.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.SyncWorker, Ct);
    }

    private async Task<NpgsqlConnection> DatabaseAsync()
    {
        var connection = new NpgsqlConnection(await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct));
        await connection.OpenAsync(Ct);
        return connection;
    }

    private Task<HttpClient> SignInAsync(string user) => stack.App.SignedInApiAsync(user, DemoPassword, Ct);

    private async Task<ResourceCommandSnapshot> WaitForCommandStateAsync(string resource, string name, ResourceCommandState state)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var e = await stack.App.ResourceNotifications.WaitForResourceAsync(resource,
            e => e.Snapshot.Commands.Any(c => c.Name == name && c.State == state), timeout.Token);
        return e.Snapshot.Commands.Single(c => c.Name == name);
    }

    private static async Task<List<string>> ListAsync(NpgsqlConnection db, string sql, params (string Name, object Value)[] args)
    {
        await using var command = new NpgsqlCommand(sql, db);
        foreach (var (name, value) in args) command.Parameters.AddWithValue(name, value);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct)) list.Add(reader.GetString(0));
        return list;
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(500, Ct);
        }
    }
}

[CollectionDefinition(DeveloperCommandTests.Name)]
public sealed class DeveloperCommandCollection : ICollectionFixture<StackFixture>;
