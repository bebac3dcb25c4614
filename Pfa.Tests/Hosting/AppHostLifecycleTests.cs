using System.Net.Sockets;
using Npgsql;
using Pfa.Hosting;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Orchestration;
using Pfa.Hosting.Testing;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>Failure, restart and persistence: each scenario needs its own (small) application.</summary>
public sealed class AppHostLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_service_that_fails_to_start_yields_an_error_naming_it_and_everything_is_stopped()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(configure: o => o.OnlyResources = [PfaResources.Web]);
        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == PfaResources.Api);
        // An address this machine does not have: Kestrel cannot bind and the process exits.
        builder.CreateResourceBuilder(api).WithEnvironment("ASPNETCORE_URLS", "http://203.0.113.7:1");
        await using var app = builder.Build();
        var pids = new Dictionary<string, int>();
        app.ResourceNotifications.SnapshotChanged += s => { if (s.Pid is { } pid) lock (pids) pids[s.Name] = pid; };

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(Ct));

        TestContext.Current.TestOutputHelper?.WriteLine(error.Message);
        Assert.Contains("Resource 'api' (project) failed to start", error.Message, StringComparison.Ordinal);
        Assert.Contains("exited with code", error.Message, StringComparison.Ordinal);
        Assert.Contains("Last lines of its output:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Cannot assign requested address", error.Message, StringComparison.Ordinal); // Kestrel's own complaint, from the tail
        Assert.Contains("Likely fix:", error.Message, StringComparison.Ordinal);

        // The web waited for the api and was never launched.
        var web = app.ResourceNotifications.Get(PfaResources.Web);
        Assert.Equal(KnownResourceStates.FailedToStart, web.State);
        Assert.DoesNotContain(PfaResources.Web, pids.Keys);

        // Everything that had started is gone.
        Assert.Contains(PfaResources.Postgres, pids.Keys);
        Assert.Contains(PfaResources.Redis, pids.Keys);
        foreach (var (name, pid) in pids) Assert.False(ProcessInspector.IsAlive(pid), $"{name} (PID {pid}) is still running");
    }

    [Fact]
    public async Task A_resource_that_never_becomes_healthy_times_out_with_its_last_health_check()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(configure: o =>
        {
            o.OnlyResources = [PfaResources.PemsSimulator];
            o.WaitTimeout = TimeSpan.FromSeconds(3);
        });
        var pems = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == PfaResources.PemsSimulator);
        pems.Annotations.RemoveAll(a => a is HttpHealthCheckAnnotation);
        builder.CreateResourceBuilder(pems).WithHttpHealthCheck("/no-such-health-endpoint");
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(Ct));

        Assert.Contains("Resource 'pems' (project) failed to start: Not healthy after 3 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("/no-such-health-endpoint answered 404, expected 200", error.Message, StringComparison.Ordinal);
        Assert.Equal(KnownResourceStates.Exited, app.ResourceNotifications.Get(PfaResources.PemsSimulator).State);
    }

    [Fact]
    public async Task A_busy_port_is_reported_with_the_resource_and_the_setting_that_changes_it()
    {
        using var squatter = new TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(configure: o =>
        {
            o.OnlyResources = [PfaResources.Redis];
            o.RandomizePorts = false;
            o.ConfigurationOverrides["AppHost:Ports:cache"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(Ct));
        Assert.Contains($"Port {port} of 'cache' is already in use", error.Message, StringComparison.Ordinal);
        Assert.Contains("AppHost:Ports:cache", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_reuses_the_data_directory_and_the_generated_password()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "pfa-restart-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDirectory);
        try
        {
            void Persistent(DistributedApplicationOptions o)
            {
                o.OnlyResources = [PfaResources.Database];
                o.DataDirectory = dataDirectory;
                o.EphemeralData = false;
            }

            string firstConnectionString;
            int firstPid;
            await using (var first = await DistributedApplicationTestingBuilder.StartAsync<Projects.Pfa_AppHost>(Persistent, Ct))
            {
                firstConnectionString = (await first.GetConnectionStringAsync(PfaResources.Database, Ct))!;
                firstPid = first.GetProcessId(PfaResources.Postgres)!.Value;
                await using var connection = new NpgsqlConnection(firstConnectionString);
                await connection.OpenAsync(Ct);
                await using var create = new NpgsqlCommand("CREATE TABLE survivor(id int); INSERT INTO survivor VALUES (42)", connection);
                await create.ExecuteNonQueryAsync(Ct);
            }
            Assert.False(ProcessInspector.IsAlive(firstPid), "postgres outlived the AppHost");

            await using (var second = await DistributedApplicationTestingBuilder.StartAsync<Projects.Pfa_AppHost>(Persistent, Ct))
            {
                var password = new NpgsqlConnectionStringBuilder(await second.GetConnectionStringAsync(PfaResources.Database, Ct)).Password;
                Assert.Equal(new NpgsqlConnectionStringBuilder(firstConnectionString).Password, password);
                Assert.Contains("Reusing the cluster", await File.ReadAllTextAsync(second.GetLogPath(PfaResources.Postgres), Ct), StringComparison.Ordinal);
                Assert.Equal(42, await ScalarAsync(await second.GetConnectionStringAsync(PfaResources.Database, Ct), "SELECT id FROM survivor"));
            }

            // A password set in configuration wins, and the existing cluster accepts it from then on.
            const string newPassword = "Changed-Passw0rd-1234567890";
            await using (var third = await DistributedApplicationTestingBuilder.StartAsync<Projects.Pfa_AppHost>(o =>
                         {
                             Persistent(o);
                             o.ConfigurationOverrides["Parameters:pg-password"] = newPassword;
                         }, Ct))
            {
                var connectionString = (await third.GetConnectionStringAsync(PfaResources.Database, Ct))!;
                Assert.Equal(newPassword, new NpgsqlConnectionStringBuilder(connectionString).Password);
                Assert.Equal(42, await ScalarAsync(connectionString, "SELECT id FROM survivor"));
                var stale = new NpgsqlConnectionStringBuilder(connectionString) { Password = new NpgsqlConnectionStringBuilder(firstConnectionString).Password };
                var rejected = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(stale.ConnectionString, "SELECT 1"));
                Assert.Equal(PostgresErrorCodes.InvalidPassword, rejected.SqlState);
            }
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<int> ScalarAsync(string? connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}
