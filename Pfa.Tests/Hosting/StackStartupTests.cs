using System.Net;
using Pfa.Hosting.Orchestration;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>The whole stack comes up healthy, in WaitFor order, with every user-facing endpoint answering.</summary>
[Collection(StackCollection.Name)]
public sealed class StackStartupTests(StackFixture stack)
{
    private DateTime FirstTime(string resource, Func<ResourceSnapshot, bool> predicate) =>
        stack.Timeline.First(e => e.Snapshot.Name == resource && predicate(e.Snapshot)).At;

    private DateTime StartedAt(string resource) => FirstTime(resource, s => s.State == KnownResourceStates.Starting);
    private DateTime ReadyAt(string resource) => FirstTime(resource, s => s.IsReady);

    [Theory]
    [InlineData(PfaResources.Api, PfaResources.Database)]
    [InlineData(PfaResources.Api, PfaResources.Redis)]
    [InlineData(PfaResources.SyncWorker, PfaResources.Database)]
    [InlineData(PfaResources.SyncWorker, PfaResources.PemsSimulator)]
    [InlineData(PfaResources.Web, PfaResources.Api)]
    [InlineData(PfaResources.Database, PfaResources.Postgres)]
    [InlineData(PfaResources.PgAdmin, PfaResources.Postgres)]
    public void A_resource_starts_only_after_what_it_waits_for_is_ready(string dependent, string dependency)
    {
        Assert.True(StartedAt(dependent) >= ReadyAt(dependency), $"{dependent} started before {dependency} was ready");
        // While waiting, the dependent was shown as Waiting.
        Assert.Contains(stack.Timeline, e => e.Snapshot.Name == dependent && e.Snapshot.State == KnownResourceStates.Waiting);
    }

    [Fact]
    public void Every_resource_is_running_and_healthy()
    {
        foreach (var snapshot in stack.App.ResourceNotifications.Snapshots)
        {
            Assert.Equal(KnownResourceStates.Running, snapshot.State);
            Assert.Equal(ResourceHealth.Healthy, snapshot.Health);
            Assert.True(snapshot.IsReady, snapshot.Name);
        }
        Assert.Equal(8, stack.App.ResourceNotifications.Snapshots.Count);
    }

    [Theory]
    [InlineData(PfaResources.Api)]
    [InlineData(PfaResources.Web)]
    [InlineData(PfaResources.SyncWorker)]
    [InlineData(PfaResources.PemsSimulator)]
    public async Task Service_health_endpoints_answer_200(string resource)
    {
        using var client = stack.App.CreateHttpClient(resource);
        using var response = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_web_admin_serves_its_login_page_prefilled_for_our_server()
    {
        var url = stack.App.ResourceNotifications.Get(PfaResources.PgAdmin).Urls.Single();
        Assert.Contains($"pgsql=localhost:{stack.App.GetEndpoint(PfaResources.Postgres, "tcp").Port}", url, StringComparison.Ordinal);
        using var client = new HttpClient();
        using var home = await client.GetAsync(stack.App.GetEndpoint(PfaResources.PgAdmin), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("Adminer", await home.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // The printed URL opens the login form with our server and user filled in (Adminer answers it with 403 until logged in).
        using var prefilled = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var html = await prefilled.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("name=\"auth[password]\"", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"localhost:{stack.App.GetEndpoint(PfaResources.Postgres, "tcp").Port}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_runs_as_the_postgres_user_when_the_apphost_is_root()
    {
        var pid = stack.App.GetProcessId(PfaResources.Postgres)!.Value;
        var expected = Environment.UserName == "root" ? PostgresUid() : ProcessInspector.Uid(Environment.ProcessId);
        Assert.Equal(expected, ProcessInspector.Uid(pid));
    }

    [Fact]
    public void Each_resource_writes_its_output_to_a_log_file()
    {
        var log = File.ReadAllText(stack.App.GetLogPath(PfaResources.Postgres));
        Assert.Contains("database system is ready to accept connections", log, StringComparison.Ordinal);
        Assert.Contains("Now listening on", File.ReadAllText(stack.App.GetLogPath(PfaResources.Api)), StringComparison.Ordinal);
        // The colour codes services emit are stripped from files.
        Assert.DoesNotContain("\u001b[", File.ReadAllText(stack.App.GetLogPath(PfaResources.Api)), StringComparison.Ordinal);
    }

    internal static int PostgresUid() =>
        int.Parse(File.ReadLines("/etc/passwd").First(l => l.StartsWith("postgres:", StringComparison.Ordinal)).Split(':')[2], System.Globalization.CultureInfo.InvariantCulture);
}
