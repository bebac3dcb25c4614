using System.Diagnostics;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Publishing;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// The plan page's screen budget (issue #19): at 1440×900 and 1280×800 at least 20 grid rows are fully visible while the
/// page itself does not scroll, the State column is on screen without horizontal scrolling, the KPI board, drafts tray
/// and command deck start folded and a panel a user opens stays open after a reload.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class PlanScreenBrowserTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Rows whose whole box lies inside the grid's scroll box below its header and inside the window.</summary>
    internal const string VisibleRowsScript = """
        () => {
          const box = document.querySelector('[data-testid=pfa-grid] .mud-table-container');
          const b = box.getBoundingClientRect();
          const head = box.querySelector('thead').getBoundingClientRect().bottom;
          const bottom = Math.min(b.bottom, window.innerHeight);
          return [...box.querySelectorAll('tbody tr.mud-table-row')]
            .map(r => r.getBoundingClientRect())
            .filter(r => r.height > 0 && r.top >= head - 0.5 && r.bottom <= bottom + 0.5).length;
        }
        """;

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(1280, 800)]
    public async Task At_least_twenty_rows_fit_without_scrolling_the_page_and_the_state_column_shows(int width, int height)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "LY" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var pm = "layout" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, pm, orgId, "PortfolioManager");
        await SeedMirrorAsync(db, orgId, Enumerable.Range(1, 60).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}", Description = $"Hydraulic excavator 30 t with breaker and quick coupler {i}", AreaSilo = "NORTH",
            Class = "EXCAVATOR", Category = "02036", Source = PfaSource.Rental, MonthlyRate = 4000 + i,
            OriginalStart = new DateOnly(2027, 1, 1), OriginalEnd = new DateOnly(2027, 6, 30),
            ForecastStart = new DateOnly(2027, 1, 1), ForecastEnd = new DateOnly(2027, 6, 30),
        }).ToArray());

        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        try
        {
            var clock = Stopwatch.StartNew();
            await SignInAsync(page, web, pm);
            var rows = page.GetByTestId("pfa-grid").Locator("tbody tr.mud-table-row");
            await Assertions.Expect(rows.First).ToContainTextAsync(org, new() { Timeout = 60_000 });
            TestContext.Current.TestOutputHelper?.WriteLine($"{width}×{height}: sign-in submitted → first row {clock.ElapsedMilliseconds} ms (includes the sign-in form)");

            // Folded by default: the strip's buttons say what each panel holds.
            foreach (var panel in new[] { "kpi", "drafts", "deck" })
            {
                await Assertions.Expect(page.GetByTestId($"panel-{panel}-toggle")).ToHaveAttributeAsync("aria-expanded", "false");
                await Assertions.Expect(page.Locator($"#panel-{panel}")).ToBeHiddenAsync();
            }
            await Assertions.Expect(page.GetByTestId("panel-kpi-summary")).ToContainTextAsync("60 lines · forecast $");
            await Assertions.Expect(page.GetByTestId("panel-drafts-summary")).ToHaveTextAsync("No changed lines");

            var visible = await page.EvaluateAsync<int>(VisibleRowsScript);
            TestContext.Current.TestOutputHelper?.WriteLine($"{width}×{height}: {visible} rows visible");
            Assert.True(visible >= 20, $"{visible} rows visible at {width}×{height}");
            Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollHeight <= window.innerHeight"), "the page scrolls");

            // The State column is pinned: its header lies inside the grid's box without scrolling sideways.
            var inside = await page.EvaluateAsync<bool>("""
                () => {
                  const box = document.querySelector('[data-testid=pfa-grid] .mud-table-container').getBoundingClientRect();
                  const state = [...document.querySelectorAll('[data-testid=pfa-grid] thead th')].find(th => th.textContent.trim().startsWith('State'));
                  const s = state.getBoundingClientRect();
                  return s.width > 0 && s.left >= box.left && s.right <= box.right + 0.5 && s.right <= window.innerWidth;
                }
                """);
            Assert.True(inside, "the State column is off screen");
            if (width == 1440)
                await page.ScreenshotAsync(new() { Path = Path.Combine(PublishingEnvironment.RepositoryRoot, "docs", "screenshots", "plan.png") });

            // Filter change → grid answers (measured, not asserted).
            clock.Restart();
            await page.GetByTestId("filter-search").FillAsync($"{org}-00");
            await page.GetByTestId("filter-apply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync("9 lines", new() { Timeout = 30_000 });
            TestContext.Current.TestOutputHelper?.WriteLine($"{width}×{height}: filter applied → grid updated {clock.ElapsedMilliseconds} ms");
            // The KPI board follows the grid's filter: the nine lines on screen, not the organization's sixty.
            await Assertions.Expect(page.GetByTestId("panel-kpi-summary")).ToContainTextAsync("9 lines · forecast $", new() { Timeout = 30_000 });
            if (width == 1440)
            {
                await OpenPanelAsync(page, "kpi");
                await Assertions.Expect(page.GetByTestId("kpi-total")).ToContainTextAsync("9 lines");
                // The monthly chart: committed forecast and forecast with my drafts are two lines; these lines (2027, no
                // actuals yet) draw no actual line at all; the axis is on round ticks from $0.
                await page.GetByTestId("kpi-chart-toggle").ClickAsync();
                var chart = page.GetByTestId("kpi-chart-svg");
                await Assertions.Expect(chart).ToBeVisibleAsync(new() { Timeout = 30_000 });
                await Assertions.Expect(chart.Locator("[data-series='Forecast']")).ToHaveAttributeAsync("d", new System.Text.RegularExpressions.Regex("^M"));
                await Assertions.Expect(chart.Locator("[data-series='Forecast with my drafts']")).ToHaveAttributeAsync("d", new System.Text.RegularExpressions.Regex("^M"));
                await Assertions.Expect(chart.Locator("[data-series='Actual']")).ToHaveAttributeAsync("d", "");
                var ticks = await chart.GetByTestId("kpi-chart-tick").AllTextContentsAsync();
                Assert.Equal("$0", ticks[0]);
                Assert.All(ticks, t => Assert.Matches(@"^\$\d+(\.5)?[kM]?$", t));
                await page.ScreenshotAsync(new() { Path = Path.Combine(PublishingEnvironment.RepositoryRoot, "docs", "screenshots", "kpi.png") });
                await page.GetByTestId("panel-kpi-toggle").ClickAsync();
                await Assertions.Expect(page.GetByTestId("panel-kpi-toggle")).ToHaveAttributeAsync("aria-expanded", "false");
            }

            // Description has room by default; a column dragged wider stays that wide for this user after the reload below.
            var description = page.Locator("[data-testid=pfa-grid] thead th.col-description");
            var before = (await description.BoundingBoxAsync())!;
            Assert.True(before.Width >= 300, $"description is {before.Width} px wide");
            double? widened = null;
            if (width == 1440)
            {
                // A real drag of MudDataGrid's resizer, as a person does it: press on the handle, move, release. The grid
                // subscribes to pointer moves over the circuit after the press, so the press is given a moment first.
                var resizer = description.Locator(".mud-resizer");
                await Assertions.Expect(resizer).ToHaveCountAsync(1);
                await resizer.HoverAsync(); // Playwright checks the handle itself receives the pointer here
                var handle = (await resizer.BoundingBoxAsync())!;
                var (x, y) = (handle.X + handle.Width / 2, handle.Y + handle.Height / 2);
                await page.Mouse.MoveAsync((float)x, (float)y);
                await page.Mouse.DownAsync();
                await Task.Delay(1500, Ct);
                await page.Mouse.MoveAsync((float)(x + 150), (float)y, new() { Steps = 10 });
                var dragged = before.Width;
                // Moves that arrive before the grid's pointer subscription are lost; a few more at the target settle it.
                for (var i = 0; i < 30 && dragged < before.Width + 100; i++)
                {
                    await Task.Delay(150, Ct);
                    await page.Mouse.MoveAsync((float)(x + 150 + i % 2), (float)y);
                    dragged = (await description.BoundingBoxAsync())!.Width;
                }
                await page.Mouse.UpAsync();
                Assert.True(dragged >= before.Width + 100, $"the drag from the handle at ({x:0}, {y:0}), {handle.Width:0}×{handle.Height:0} px, left description at {dragged} px (was {before.Width} px)");
                // PlanBoard.razor.js stores the dragged width for this user on release.
                double stored = 0;
                for (var i = 0; i < 40 && stored == 0; i++)
                {
                    if (i > 0) await Task.Delay(100, Ct);
                    stored = await page.EvaluateAsync<double>($"() => (JSON.parse(localStorage.getItem('pfa.columns.widths.{pm}') || '{{}}').description) || 0");
                }
                Assert.True(Math.Abs(stored - dragged) <= 3, $"stored {stored} px for a drag to {dragged} px");
                widened = stored;
            }

            // A panel opened stays open for this user after a reload; the grid gives up height, the page still does not scroll.
            await OpenPanelAsync(page, "deck");
            await page.ReloadAsync();
            if (widened is { } w)
            {
                await Assertions.Expect(page.GetByTestId("pfa-grid").Locator("tbody tr.mud-table-row").First).ToContainTextAsync(org, new() { Timeout = 60_000 });
                var after = 0d;
                for (var i = 0; i < 40 && Math.Abs(after - w) > 3; i++)
                {
                    if (i > 0) await Task.Delay(250, Ct);
                    after = (await description.BoundingBoxAsync())!.Width;
                }
                Assert.True(Math.Abs(after - w) <= 3, $"after the reload description is {after} px, was dragged to {w} px");
            }
            await Assertions.Expect(page.GetByTestId("panel-deck-toggle")).ToHaveAttributeAsync("aria-expanded", "true", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("command-deck")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("panel-kpi-toggle")).ToHaveAttributeAsync("aria-expanded", "false");
            Assert.True(await page.EvaluateAsync<bool>("() => document.scrollingElement.scrollHeight <= window.innerHeight"), "the page scrolls with the deck open");
            Assert.Empty(errors);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, $"plan-screen-failure-{width}.png") });
            throw;
        }
        finally
        {
            await browser.CloseAsync();
        }
    }
}
