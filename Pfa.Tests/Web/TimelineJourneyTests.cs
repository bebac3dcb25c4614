using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// The timeline in Debian's chromium against the whole AppHost stack: a portfolio manager filters one area, groups by class,
/// switches to the day scale and drags a forecast bar three days later; the API then holds the shifted dates as the user's draft.
/// A viewer gets the bars without drag handles. Screenshots timeline*.png in the test output's screenshots/.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class TimelineJourneyTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string[] Classes = ["CRANE", "LIGHT", "PUMP"];

    [Fact]
    public async Task Pm_drags_a_forecast_bar_by_whole_days_and_the_draft_holds_the_shifted_dates()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "TL" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var pm = "pmt" + suffix.ToLowerInvariant();
        var viewer = "vwt" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, pm, orgId, "PortfolioManager");
        await CreateUserAsync(db, viewer, orgId, "Viewer");
        // NORTH lines start within the first week of March, so at day scale every bar's start is on screen.
        var lines = Enumerable.Range(1, 40).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}",
            Description = $"{Classes[i % 3].ToLowerInvariant()} unit {i}",
            AreaSilo = i % 2 == 0 ? "NORTH" : "SOUTH",
            Class = Classes[i % 3],
            Category = "02036",
            Source = PfaSource.Rental,
            MonthlyRate = 3000 + i * 10,
            OriginalStart = new DateOnly(2027, 2, 20).AddDays(i % 7), OriginalEnd = new DateOnly(2027, 5, 31),
            ForecastStart = new DateOnly(2027, 3, 1).AddDays(i % 7), ForecastEnd = new DateOnly(2027, 6, 15).AddDays(i % 5),
            HasActuals = i % 4 == 0, ActualStart = i % 4 == 0 ? new DateOnly(2027, 3, 1).AddDays(i % 7) : null,
            ActualEnd = i % 4 == 0 ? new DateOnly(2027, 4, 10) : null,
        }).ToArray();
        await SeedMirrorAsync(db, orgId, lines);

        Directory.CreateDirectory(Shots);
        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);
        try
        {
            await SignInAsync(page, web, pm);
            // Rows shown = the circuit is live; a click before that can be lost to the page finishing its start.
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync("40 lines", new() { Timeout = 60_000 });
            await page.GetByTestId("nav-timeline").ClickAsync();
            var chart = page.GetByTestId("timeline");
            await Assertions.Expect(chart.GetByTestId("timeline-line").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(page.GetByTestId("timeline-total")).ToHaveTextAsync("40 lines");

            // One area, from the same filter panel as the grid.
            await page.GetByTestId("filter-area").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "NORTH" }).ClickAsync();
            await page.Keyboard.PressAsync("Escape");
            await page.GetByTestId("filter-apply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("timeline-total")).ToHaveTextAsync("20 lines", new() { Timeout = 30_000 });

            // Grouped by class: one header per class with its totals (computed from the loaded lines: a filter is set).
            await page.GetByTestId("timeline-group-by").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "Class" }).ClickAsync();
            var groups = chart.GetByTestId("timeline-group");
            await Assertions.Expect(groups).ToHaveCountAsync(3, new() { Timeout = 30_000 });
            var north = lines.Where(l => l.AreaSilo == "NORTH").ToList();
            for (var g = 0; g < 3; g++)
            {
                var cls = Classes.Order(StringComparer.Ordinal).ElementAt(g);
                var members = north.Where(l => l.Class == cls).ToList();
                await Assertions.Expect(groups.Nth(g)).ToHaveAttributeAsync("data-group", cls);
                await Assertions.Expect(groups.Nth(g).GetByTestId("timeline-group-totals"))
                    .ToHaveTextAsync($"{members.Count} lines · forecast {Pfa.Web.Components.Plan.KpiFormat.Money(members.Sum(CostRules.ForecastCost))}");
            }

            await page.GetByTestId("timeline-scale-day").ClickAsync();
            await Assertions.Expect(page.GetByTestId("timeline-scale-day")).ToHaveAttributeAsync("aria-pressed", "true");
            var picked = north.Where(l => l.Class == "CRANE").OrderBy(l => l.PfaId, StringComparer.Ordinal).First();
            var bar = chart.Locator($"[data-testid=timeline-line][data-pfa='{picked.PfaId}'] [data-testid=bar-forecast]");
            await Assertions.Expect(bar).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(bar.GetByTestId("bar-handle-end")).ToHaveCountAsync(1);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "timeline-before-drag.png") });

            // Drag the bar's body three days (24 px a day at day scale) to the right.
            var box = (await bar.BoundingBoxAsync())!;
            var (x, y) = (box.X + 40, box.Y + box.Height / 2);
            Assert.InRange(x, 560, 1180); // the chart opened at the lines' first start: the bar is right of the labels, on screen
            await page.Mouse.MoveAsync(x, y);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(x + 30, y, new() { Steps = 4 });
            await page.Mouse.MoveAsync(x + 3 * 24, y, new() { Steps = 4 });
            await page.Mouse.UpAsync();
            await Assertions.Expect(bar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("tl-draft"), new() { Timeout = 30_000 });
            await Assertions.Expect(bar).ToHaveAttributeAsync("title",
                $"Forecast {D(picked.ForecastStart!.Value.AddDays(3))} → {D(picked.ForecastEnd!.Value.AddDays(3))} (my draft; PEMS: {D(picked.ForecastStart)} → {D(picked.ForecastEnd)})");
            await Assertions.Expect(page.Locator(".tl-ghost")).ToHaveCountAsync(0); // the drag's ghost is gone once the save returned
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "timeline.png") });

            // The API holds the draft: both forecast dates three days later, PEMS's values as its base.
            using var api = await SignedInApiAsync(stack, pm);
            var record = (await api.GetFromJsonAsync<JsonObject>($"/api/orgs/{org}/pfa/{picked.PfaId}", Ct))!;
            var changes = record["myDelta"]!["changes"]!;
            Assert.Equal(D(picked.ForecastStart!.Value.AddDays(3)), changes["forecastStart"]!.GetValue<string>());
            Assert.Equal(D(picked.ForecastEnd!.Value.AddDays(3)), changes["forecastEnd"]!.GetValue<string>());
            Assert.Equal("draft", record["draftState"]!.GetValue<string>());

            // Month scale for the overview screenshot; the draft stays marked.
            await page.GetByTestId("timeline-scale-month").ClickAsync();
            await Assertions.Expect(page.GetByTestId("timeline-scale-month")).ToHaveAttributeAsync("aria-pressed", "true");
            await Assertions.Expect(chart.GetByTestId("timeline-axis")).ToContainTextAsync("2027");
            await Assertions.Expect(bar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("tl-draft"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "timeline-month.png") });

            // The tray is on the timeline: the drop counts there. A focused bar moves by keyboard (Shift+→ a week, ← a day),
            // saved through the same draft call; then commit from this page.
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("1 changed line", new() { Timeout = 30_000 });
            await bar.FocusAsync();
            await page.Keyboard.PressAsync("Shift+ArrowRight");
            await Assertions.Expect(bar).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex(
                $"^Forecast {D(picked.ForecastStart!.Value.AddDays(10))} → {D(picked.ForecastEnd!.Value.AddDays(10))} "), new() { Timeout = 30_000 });
            await page.Keyboard.PressAsync("ArrowLeft");
            await Assertions.Expect(bar).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex(
                $"^Forecast {D(picked.ForecastStart!.Value.AddDays(9))} → {D(picked.ForecastEnd!.Value.AddDays(9))} "), new() { Timeout = 30_000 });
            string? nudged = null;
            for (var i = 0; i < 60 && nudged != D(picked.ForecastStart!.Value.AddDays(9)); i++)
            {
                if (i > 0) await Task.Delay(250, Ct);
                record = (await api.GetFromJsonAsync<JsonObject>($"/api/orgs/{org}/pfa/{picked.PfaId}", Ct))!;
                nudged = record["myDelta"]?["changes"]?["forecastStart"]?.GetValue<string>();
            }
            Assert.Equal(D(picked.ForecastStart!.Value.AddDays(9)), nudged);
            Assert.Equal(D(picked.ForecastEnd!.Value.AddDays(9)), record["myDelta"]!["changes"]!["forecastEnd"]!.GetValue<string>());
            await page.GetByTestId("drafts-commit").ClickAsync();
            await page.GetByTestId("drafts-confirm-yes").ClickAsync();
            string state = "draft";
            for (var i = 0; i < 60 && state == "draft"; i++)
            {
                await Task.Delay(250, Ct);
                state = (await api.GetFromJsonAsync<JsonObject>($"/api/orgs/{org}/pfa/{picked.PfaId}", Ct))!["draftState"]!.GetValue<string>();
            }
            Assert.NotEqual("draft", state); // committed from the timeline: queued for PEMS (or already written)

            // A viewer sees the bars but gets nothing to drag.
            var viewerPage = await NewPageAsync(browser);
            await SignInAsync(viewerPage, web, viewer);
            // The viewer works in another browser context: no remembered filter, all 40 lines; rows shown = the circuit is live.
            await Assertions.Expect(viewerPage.GetByTestId("grid-total")).ToHaveTextAsync("40 lines", new() { Timeout = 60_000 });
            await viewerPage.GetByTestId("nav-timeline").ClickAsync();
            var viewerChart = viewerPage.GetByTestId("timeline");
            await Assertions.Expect(viewerChart.GetByTestId("bar-forecast").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(viewerPage.GetByTestId("read-only")).ToBeVisibleAsync();
            await Assertions.Expect(viewerChart.Locator("[data-drag]")).ToHaveCountAsync(0);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "timeline-failure.png") });
            throw;
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    private static string D(DateOnly? d) => d!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
