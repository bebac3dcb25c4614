using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>Failure and restart: each scenario needs its own (small) application.</summary>
public sealed class AppHostLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_that_cannot_start_fails_its_database_and_every_dependent_with_a_message()
    {
        var data = PfaApp.NewDataDirectory();
        try
        {
            var builder = (await PfaApp.CreateBuilderAsync(data, "--AppHost:PostgresBinDirectory=/nonexistent/bin"))
                .KeepOnly(PfaResources.Postgres, PfaResources.Database, PfaResources.Redis, PfaResources.Api);
            await using var app = await PfaApp.StartUnwaitedAsync(builder);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));

            ResourceEvent server, database, api;
            try
            {
                server = await app.ResourceNotifications.WaitForResourceAsync(PfaResources.Postgres, e => IsFailed(e.Snapshot), timeout.Token);
                database = await app.ResourceNotifications.WaitForResourceAsync(PfaResources.Database, e => IsFailed(e.Snapshot), timeout.Token);
                // The API does not wait forever: it fails because what it waits for failed.
                api = await app.ResourceNotifications.WaitForResourceAsync(PfaResources.Api, e => IsFailed(e.Snapshot), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Gave up waiting for the failure to reach the dependents:\n" + app.Describe());
                throw;
            }
            Assert.NotNull(server.Snapshot.State);
            Assert.NotNull(database.Snapshot.State);
            Assert.NotNull(api.Snapshot.State);

            // The server's console (what the dashboard shows) says why and what to do.
            var logs = app.ConsoleLog(PfaResources.Postgres);
            Assert.Contains("PostgreSQL server binaries were not found", logs, StringComparison.Ordinal);
            Assert.Contains("apt-get install", logs, StringComparison.Ordinal);
            Assert.Contains("Server 'pg' is", app.ConsoleLog(PfaResources.Database), StringComparison.Ordinal);
        }
        finally
        {
            PfaApp.DeleteDataDirectory(data);
        }
    }

    [Fact]
    public async Task A_restart_keeps_the_data_and_a_changed_password_is_applied_to_the_existing_cluster()
    {
        var data = PfaApp.NewDataDirectory();
        try
        {
            string[] stores = [PfaResources.Postgres, PfaResources.Database, PfaResources.Redis];
            var first = (await PfaApp.CreateBuilderAsync(data, "--Parameters:pg-password=First-Passw0rd-1234567890")).KeepOnly(stores);
            await using (var app = await PfaApp.StartAsync(first))
            {
                await using var db = NpgsqlDataSource.Create((await app.GetConnectionStringAsync(PfaResources.Database, Ct))!);
                await db.CreateCommand("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restarts')").ExecuteNonQueryAsync(Ct);
            }

            var second = (await PfaApp.CreateBuilderAsync(data, "--Parameters:pg-password=Second-Passw0rd-0987654321")).KeepOnly(stores);
            await using (var app = await PfaApp.StartAsync(second))
            {
                var connectionString = (await app.GetConnectionStringAsync(PfaResources.Database, Ct))!;
                Assert.Contains("Password=Second-Passw0rd-0987654321", connectionString, StringComparison.Ordinal);
                await using var db = NpgsqlDataSource.Create(connectionString);
                Assert.Equal("survives restarts", await db.CreateCommand("SELECT v FROM kept").ExecuteScalarAsync(Ct));
                Assert.Contains("Reusing the cluster", app.ConsoleLog(PfaResources.Postgres), StringComparison.Ordinal);
            }
        }
        finally
        {
            PfaApp.DeleteDataDirectory(data);
        }
    }

    private static bool IsFailed(CustomResourceSnapshot s) =>
        s.State?.Text is { } state && (state == KnownResourceStates.FailedToStart || state == KnownResourceStates.Exited || state == KnownResourceStates.Finished);
}
