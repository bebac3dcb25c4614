using Microsoft.Playwright;
using OpenTelemetry.Exporter;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// The dashboard in Debian's chromium: opened through the login link, against the fake resource service and telemetry
/// from the real OTLP exporter. Resources (details, secret masked then revealed, a restart), console (live line, search),
/// structured logs → trace link → waterfall across two services, metrics chart. Screenshots go to the test output
/// (screenshots/dashboard-*.png).
/// </summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly string Shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private DashboardProcess Dashboard => fixture.Dashboard;

    [Fact]
    public async Task The_login_link_opens_resources_console_logs_traces_and_metrics()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var sent = new TestTelemetry(Dashboard.OtlpGrpcUrl, Dashboard.OtlpHttpUrl, Dashboard.ApiKey, OtlpExportProtocol.Grpc)
            .SendRequestThroughTwoServices("web", "api", marker);
        using (var client = await Dashboard.LoginAsync())
            await DashboardProcess.EventuallyAsync<List<Pfa.Dashboard.Telemetry.SpanEntry>>(client, $"/api/telemetry/traces/{sent.TraceId}", s => s.Count == 5);

        Directory.CreateDirectory(Shots);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        try
        {
            // Resources: every resource, healthy; the login link landed here.
            await page.GotoAsync(Dashboard.LoginUrl);
            var table = page.GetByTestId("resources-table");
            foreach (var name in new[] { "api", "pg", "syncworker", "web" })
                await Assertions.Expect(page.GetByTestId($"resource-{name}")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(table.GetByTestId("health-chip")).ToHaveCountAsync(4);
            await Assertions.Expect(table.GetByTestId("health-chip").Filter(new() { HasText = "Healthy" })).ToHaveCountAsync(4);

            // Details: the secret is masked until revealed (clicks need the live circuit).
            await Assertions.Expect(page.GetByTestId("circuit-ready")).ToBeAttachedAsync(new() { Timeout = 30_000 });
            await page.GetByTestId("resource-api").ClickAsync();
            var secret = page.GetByTestId("env-ConnectionStrings__pfadb");
            await Assertions.Expect(secret).ToHaveTextAsync("••••••••");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "dashboard-resources.png") });
            await page.GetByTestId("reveal-ConnectionStrings__pfadb").ClickAsync();
            await Assertions.Expect(secret).ToHaveTextAsync(FakeResourceService.SecretValue);

            // A restart from the table reaches the resource service, and the row follows the watch stream.
            await page.GetByTestId("command-web-stop").ClickAsync();
            await Assertions.Expect(page.GetByTestId("resource-web").Locator("xpath=..").GetByTestId("state-chip")).ToContainTextAsync("Exited", new() { Timeout = 15_000 });
            await page.GetByTestId("command-web-start").ClickAsync();
            await Assertions.Expect(page.GetByTestId("resource-web").Locator("xpath=..").GetByTestId("state-chip")).ToHaveTextAsync("Running", new() { Timeout = 15_000 });
            Assert.Equal(["stop:web", "start:web"], fixture.Resources.Commands.Where(c => c.EndsWith(":web", StringComparison.Ordinal)));

            // Console: all resources interleaved; a new line arrives live; search narrows.
            await page.GetByTestId("nav-console").ClickAsync();
            await Assertions.Expect(page.GetByTestId("circuit-ready")).ToBeAttachedAsync(new() { Timeout = 30_000 });
            var lines = page.GetByTestId("console-lines");
            await Assertions.Expect(lines).ToContainTextAsync("database system is ready", new() { Timeout = 15_000 });
            fixture.Resources.AddConsole("api", "stdout", $"info: Pfa.Api[0] Live line {marker}");
            await Assertions.Expect(lines).ToContainTextAsync($"Live line {marker}", new() { Timeout = 15_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "dashboard-console.png") });
            await page.Locator("input[data-testid=console-search], [data-testid=console-search] input").First.FillAsync("slow query");
            await Assertions.Expect(page.GetByTestId("console-count")).ToContainTextAsync("1 lines of", new() { Timeout = 10_000 });

            // Structured logs → the log line's trace → the waterfall across web and api, into PostgreSQL and Redis.
            await page.GetByTestId("nav-logs").ClickAsync();
            var row = page.GetByTestId("log-row").Filter(new() { HasText = sent.LogMessage });
            await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await row.ClickAsync();
            await Assertions.Expect(page.GetByTestId("log-details")).ToContainTextAsync(marker);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "dashboard-structured-logs.png") });
            await row.GetByTestId("log-trace-link").ClickAsync();
            var spans = page.GetByTestId("span-row");
            await Assertions.Expect(spans).ToHaveCountAsync(5, new() { Timeout = 15_000 });
            await Assertions.Expect(page.GetByTestId("trace-title")).ToHaveTextAsync("web: GET /plan");
            await Assertions.Expect(page.Locator("[data-testid=span-row][data-span-resource=api]")).ToHaveCountAsync(3);
            await Assertions.Expect(page.GetByTestId("span-peer")).ToHaveTextAsync(["http", "postgresql", "redis"]);
            await spans.Nth(3).ClickAsync();
            await Assertions.Expect(page.GetByTestId("span-details")).ToContainTextAsync("SELECT * FROM pfa_records");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "dashboard-trace.png") });

            // Traces list and metrics: the HTTP duration histogram charts rate and latency.
            await page.GetByTestId("nav-traces").ClickAsync();
            await Assertions.Expect(page.GetByTestId("trace-row").Filter(new() { HasText = "GET /plan" }).First).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await page.GetByTestId("nav-metrics").ClickAsync();
            await Assertions.Expect(page.GetByTestId("metrics-title")).ToHaveTextAsync("http.server.request.duration", new() { Timeout = 15_000 });
            await Assertions.Expect(page.GetByTestId("metrics-chart")).ToHaveCountAsync(2);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "dashboard-metrics.png") });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "dashboard-failure.png") });
            throw;
        }
    }
}
