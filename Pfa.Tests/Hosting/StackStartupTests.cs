using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>The whole stack comes up healthy, in WaitFor order, with every user-facing endpoint answering and no secret shown.</summary>
[Collection(StackCollection.Name)]
public sealed class StackStartupTests(StackFixture stack)
{
    private DateTime FirstTime(string resource, Func<CustomResourceSnapshot, bool> predicate) =>
        stack.App.Timeline().First(e => e.Event.Resource.Name == resource && predicate(e.Event.Snapshot)).At;

    // "Starting" is shown before the wait begins (then "Waiting"); the process runs only after it.
    private DateTime RunningAt(string resource) => FirstTime(resource, s => s.State?.Text == KnownResourceStates.Running);
    private DateTime HealthyAt(string resource) => FirstTime(resource, s => s.HealthStatus == HealthStatus.Healthy);

    [Theory]
    [InlineData(PfaResources.Api, PfaResources.Database)]
    [InlineData(PfaResources.Api, PfaResources.Redis)]
    [InlineData(PfaResources.SyncWorker, PfaResources.Database)]
    [InlineData(PfaResources.SyncWorker, PfaResources.PemsSimulator)]
    [InlineData(PfaResources.Web, PfaResources.Api)]
    [InlineData(PfaResources.Database, PfaResources.Postgres)]
    public void A_resource_starts_only_after_what_it_waits_for_is_healthy(string dependent, string dependency)
    {
        Assert.True(RunningAt(dependent) >= HealthyAt(dependency), $"{dependent} ran before {dependency} was healthy");
    }

    [Theory]
    [InlineData(PfaResources.Api)]
    [InlineData(PfaResources.SyncWorker)]
    [InlineData(PfaResources.Web)]
    public void A_dependent_is_shown_as_waiting_until_then(string dependent) =>
        Assert.Contains(stack.App.Timeline(), e => e.Event.Resource.Name == dependent && e.Event.Snapshot.State?.Text == KnownResourceStates.Waiting);

    [Theory]
    [InlineData(PfaResources.Postgres)]
    [InlineData(PfaResources.Database)]
    [InlineData(PfaResources.Redis)]
    [InlineData(PfaResources.PgAdmin)]
    [InlineData(PfaResources.PemsSimulator)]
    [InlineData(PfaResources.Api)]
    [InlineData(PfaResources.SyncWorker)]
    [InlineData(PfaResources.Web)]
    public void Every_resource_is_running_and_healthy(string resource)
    {
        var snapshot = stack.App.Snapshot(resource);
        Assert.Equal(KnownResourceStates.Running, snapshot.State?.Text);
        Assert.Equal(HealthStatus.Healthy, snapshot.HealthStatus);
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
        var pgPort = stack.App.GetEndpoint(PfaResources.Postgres, "tcp").Port;
        var url = stack.App.Snapshot(PfaResources.PgAdmin).Urls.Select(u => u.Url).Single(u => u.Contains("pgsql=", StringComparison.Ordinal));
        Assert.Contains($"pgsql=localhost:{pgPort}", url, StringComparison.Ordinal);
        using var client = new HttpClient();
        using var home = await client.GetAsync(stack.App.GetEndpoint(PfaResources.PgAdmin), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("Adminer", await home.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // The URL opens the login form with our server and user filled in (Adminer answers it with 403 until logged in).
        using var prefilled = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var html = await prefilled.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("name=\"auth[password]\"", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"localhost:{pgPort}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dashboard_links_the_pages_a_developer_opens()
    {
        Assert.Contains(stack.App.Snapshot(PfaResources.Api).Urls, u => u.Url.EndsWith("/scalar/v1", StringComparison.Ordinal));
        Assert.Contains(stack.App.Snapshot(PfaResources.Web).Urls, u => u.DisplayProperties.DisplayName == "Sign in (web)");
    }

    [Fact]
    public void Postgres_runs_as_the_postgres_user_when_the_apphost_is_root()
    {
        var pid = stack.App.GetProcessId(PfaResources.Postgres)!.Value;
        var expected = Environment.UserName == "root" ? PostgresUid() : ProcessInspector.Uid(Environment.ProcessId);
        Assert.Equal(expected, ProcessInspector.Uid(pid));
    }

    [Fact]
    public void The_console_logs_the_dashboard_shows_carry_each_resource_output()
    {
        Assert.Contains("database system is ready to accept connections", stack.App.ConsoleLog(PfaResources.Postgres), StringComparison.Ordinal);
        Assert.Contains("Now listening on", stack.App.ConsoleLog(PfaResources.Api), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_secret_is_on_a_command_line_or_in_a_console_log()
    {
        var pfadb = new Npgsql.NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync(PfaResources.Database, TestContext.Current.CancellationToken));
        var cache = (await stack.App.GetConnectionStringAsync(PfaResources.Redis, TestContext.Current.CancellationToken))!;
        var cachePassword = cache.Split(',').Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];
        var jwtKey = ProcessInspector.Environment(stack.App.GetProcessId(PfaResources.Api)!.Value)["Jwt__Key"];
        var adminPassword = ProcessInspector.Environment(stack.App.GetProcessId(PfaResources.Api)!.Value)["Bootstrap__AdminPassword"];
        Assert.True(adminPassword.Length >= 20);
        string[] secrets = [pfadb.Password!, cachePassword, jwtKey, adminPassword];
        Assert.All(secrets[..3], s => Assert.True(s.Length >= 22));

        string[] resources = [PfaResources.Postgres, PfaResources.Redis, PfaResources.PgAdmin, PfaResources.PemsSimulator, PfaResources.Api, PfaResources.SyncWorker, PfaResources.Web];
        foreach (var resource in resources)
        {
            var pid = stack.App.GetProcessId(resource)!.Value;
            var commandLine = string.Join(' ', ProcessInspector.CommandLine(pid));
            var console = stack.App.ConsoleLog(resource);
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, commandLine, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, console, StringComparison.Ordinal);
            }
        }
        // Redis reads its password from a config file only its owner can read.
        var config = Path.Combine(stack.DataDirectory, PfaResources.Redis, "redis.conf");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
    }

    internal static int PostgresUid() =>
        int.Parse(File.ReadLines("/etc/passwd").First(l => l.StartsWith("postgres:", StringComparison.Ordinal)).Split(':')[2], System.Globalization.CultureInfo.InvariantCulture);
}
