using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pfa.Pems;
using Pfa.ServiceDefaults;
using Pfa.SyncWorker;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Pems;

namespace Pfa.Tests.Sync;

/// <summary>The worker as it is deployed (Program + AddReadSync), on a database of its own so its scheduler sees only this test's organization.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SyncWorkerHostTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task In_Development_the_worker_creates_a_missing_schema_and_its_scheduler_syncs_each_organization()
    {
        var database = "sync_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(infra.PostgresConnectionString))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {database}")) // name is ours, not input
            await create.ExecuteNonQueryAsync(Http.Ct);
        var connectionString = new NpgsqlConnectionStringBuilder(infra.PostgresConnectionString) { Database = database }.ConnectionString;
        var code = ApiHost.Unique("SW");
        await using var sim = new SimulatorHost().With("PemsSimulator:Organizations:0", code).Without("PemsSimulator:Organizations:1")
            .With("PemsSimulator:RecordsPerOrganization", "50");
        await using var worker = new WebApplicationFactory<SyncWorkerMarker>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Development");
            b.UseSetting($"ConnectionStrings:{PfaResources.Database}", connectionString);
            b.UseSetting($"services:{PfaResources.PemsSimulator}:http:0", "http://pems.invalid");
            b.UseSetting("Sync:PollInterval", "00:00:00.200");
            // The in-process simulator has no socket: hand the worker a client bound to it.
            b.ConfigureTestServices(s => s.AddSingleton(sim.CreatePemsClient()));
        });
        using var http = worker.CreateClient();
        Assert.True((await http.GetAsync("/health", Http.Ct)).IsSuccessStatusCode);

        await using var db = NpgsqlDataSource.Create(connectionString);
        await WaitForAsync(db, "SELECT to_regclass('organizations') IS NOT NULL AND to_regclass('sync_log') IS NOT NULL");
        await using (var org = db.CreateCommand("INSERT INTO organizations (id, code, name, is_active, sync_enabled, service_status, mirror_version) VALUES (gen_random_uuid(), $1, $1, true, true, 'active', 1)"))
        {
            org.Parameters.AddWithValue(code);
            await org.ExecuteNonQueryAsync(Http.Ct);
        }

        await WaitForAsync(db, "SELECT EXISTS (SELECT 1 FROM sync_log WHERE status = 'completed' AND kind = 'full' AND inserted = 50 AND triggered_by = 'schedule')");
        await using var count = db.CreateCommand("SELECT count(*) FROM pfa_mirror WHERE deleted_in_pems_at IS NULL");
        Assert.Equal(50L, await count.ExecuteScalarAsync(Http.Ct));
    }

    [Fact]
    public void PEMS_connection_comes_from_service_discovery_and_the_PEMS_variables_over_the_Pems_section()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"services:{PfaResources.PemsSimulator}:http:0"] = "http://localhost:5330",
            ["Pems:Tenant"] = "BECHTEL_DEV",
            ["Pems:UserName"] = "PFA_SERVICE",
            ["PEMS_TENANT"] = "PROD_TENANT",
            ["PEMS_PASSWORD"] = "from-secret",
        }).Build();

        var options = SyncWorkerExtensions.PemsConnection(config);

        Assert.Equal("http://localhost:5330/axis/restservices/", options.BaseAddress!.AbsoluteUri);
        Assert.Equal(("PROD_TENANT", "PFA_SERVICE", "from-secret"), (options.Tenant, options.UserName, options.Password));
        Assert.Equal("https://eam.example/axis/restservices/", SyncWorkerExtensions.PemsConnection(new ConfigurationBuilder().AddInMemoryCollection(
            new Dictionary<string, string?> { ["Pems:BaseAddress"] = "https://eam.example/axis/restservices/" }).Build()).BaseAddress!.AbsoluteUri);
        Assert.Throws<InvalidOperationException>(() => SyncWorkerExtensions.PemsConnection(new ConfigurationBuilder().Build()));
    }

    /// <summary>Polls a condition the worker makes true; bounded by the test's cancellation, never asserting how long it took.</summary>
    private static async Task WaitForAsync(NpgsqlDataSource db, string sql)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Http.Ct);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        while (true)
        {
            await using var cmd = db.CreateCommand(sql);
            try
            {
                if ((bool)(await cmd.ExecuteScalarAsync(limit.Token))!) return;
            }
            catch (PostgresException) { } // schema still being created
            await Task.Delay(100, limit.Token);
        }
    }
}
