using System.Globalization;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// The main journey end to end, in Debian's chromium against the whole AppHost stack, on an organization the sync worker
/// really mirrors from the PEMS simulator (HOLNG): filter an area → select → shift 14 days → change one end date inline
/// (KPI forecast and variance move) → undo twice (grid back) → redo → CSV export → commit → the simulator holds the new
/// dates and the line shows synced → after a reload the filter and the undo history are still there; a viewer cannot edit.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class DraftsJourneyTests(StackFixture stack)
{
    private const string Org = "HOLNG"; // in the simulator's default seed, not among the API's demo organizations
    private const string Area = "MARINE";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Line(string PfaId, DateOnly Start, DateOnly End);

    [Fact]
    public async Task Pm_shifts_edits_undoes_redoes_and_commits_to_pems_and_a_viewer_cannot_edit()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, Org);
        await using (var enable = db.CreateCommand("UPDATE organizations SET sync_enabled = true WHERE id = $1"))
        {
            enable.Parameters.AddWithValue(orgId);
            await enable.ExecuteNonQueryAsync(Ct);
        }
        var pm = "pmj" + suffix;
        var viewer = "vwj" + suffix;
        await CreateUserAsync(db, pm, orgId, "PortfolioManager");
        await CreateUserAsync(db, viewer, orgId, "Viewer");

        // The worker picks the new organization up on its next poll and mirrors it from the simulator.
        var areaLines = await WaitForMirrorAsync(db, orgId);
        var picked = areaLines.Take(3).ToList();

        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        Directory.CreateDirectory(Shots);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);
        try
        {
            await SignInAsync(page, web, pm);
            var grid = page.GetByTestId("pfa-grid");
            var rows = grid.Locator("tbody tr.mud-table-row");
            await Assertions.Expect(rows.First.Locator(".pfa-cell[data-field=pfaId]")).ToBeVisibleAsync(new() { Timeout = 60_000 });

            // Filter an area from the filter panel's multi-select.
            await page.GetByTestId("filter-area").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = Area }).ClickAsync();
            // Close the list (a click beside it, as a user does) so it covers nothing, then apply.
            await page.GetByTestId("filter-panel").GetByText("Filters", new() { Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
            await page.GetByTestId("filter-apply").ClickAsync();
            var total = await CountAsync(db, orgId);
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync($"{total:#,0} lines", new() { Timeout = 30_000 });

            foreach (var panel in new[] { "kpi", "drafts", "deck" }) await OpenPanelAsync(page, panel);
            // The board follows the filter: read it once its refresh for the filter is done.
            await Assertions.Expect(page.GetByTestId("kpi-loading")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            var forecastBefore = await page.GetByTestId("kpi-total-forecast-drafts").InnerTextAsync();
            var varianceBefore = await page.GetByTestId("kpi-total-variance-drafts").InnerTextAsync();

            // Select three forecast lines and shift them 14 days.
            foreach (var l in picked) await Row(grid, l.PfaId).Locator("input[type=checkbox]").CheckAsync();
            await Assertions.Expect(page.GetByTestId("command-deck")).ToContainTextAsync("3 selected");
            await page.GetByTestId("deck-apply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("3 changed lines", new() { Timeout = 30_000 });
            var first = picked[0];
            var startCell = Cell(grid, first.PfaId, "forecastStart");
            await Assertions.Expect(startCell).ToHaveTextAsync(D(first.Start.AddDays(14)));
            await Assertions.Expect(startCell).ToHaveAttributeAsync("title", $"PEMS: {D(first.Start)}");
            // A shift keeps each line's duration, so its cost: forecast and variance with drafts stay as they were.
            await Assertions.Expect(page.GetByTestId("kpi-total-forecast-drafts")).ToHaveTextAsync(forecastBefore);
            await Assertions.Expect(page.GetByTestId("drafts-undo")).ToHaveTextAsync("Undo Shift 3 lines +14 d");

            // Inline edit: an end before the start is refused with the API's message at the cell, the typed text kept.
            var endCell = Cell(grid, first.PfaId, "forecastEnd");
            await endCell.FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            var input = grid.GetByTestId("cell-input");
            await input.FillAsync(D(first.Start.AddDays(-30)));
            await input.PressAsync("Enter");
            await Assertions.Expect(grid.GetByTestId("cell-error")).ToContainTextAsync("on or after forecast start", new() { Timeout = 30_000 });
            await Assertions.Expect(input).ToHaveValueAsync(D(first.Start.AddDays(-30)));
            await input.PressAsync("Escape");
            // A longer line costs more: the end 30 days later moves forecast and variance with my drafts.
            var newEnd = first.End.AddDays(14 + 30);
            await endCell.FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await input.FillAsync(D(newEnd));
            await input.PressAsync("Enter");
            await Assertions.Expect(endCell).ToHaveTextAsync(D(newEnd), new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("kpi-total-variance-drafts")).Not.ToHaveTextAsync(varianceBefore, new() { Timeout = 30_000 });
            var forecastEdited = await page.GetByTestId("kpi-total-forecast-drafts").InnerTextAsync();
            Assert.NotEqual(forecastBefore, forecastEdited);
            await Assertions.Expect(page.GetByTestId("drafts-undo")).ToHaveTextAsync($"Undo Edit Forecast end of {first.PfaId}");

            await page.GetByTestId("drafts-toggle").ClickAsync();
            await Assertions.Expect(page.GetByTestId("drafts-line")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator($"[data-testid=drafts-line][data-pfa='{first.PfaId}'] [data-field=forecastEnd]"))
                .ToHaveTextAsync($"Forecast end: {D(first.End)} → {D(newEnd)}");
            await page.EvaluateAsync("window.scrollTo(0, 0)");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "journey-grid-with-drafts.png") });
            await page.GetByTestId("drafts-tray").ScreenshotAsync(new() { Path = Path.Combine(Shots, "journey-drafts-tray.png") });
            await page.GetByTestId("drafts-toggle").ClickAsync();

            // Undo the edit, then the shift: the grid is back to PEMS's values.
            await page.GetByTestId("drafts-undo").ClickAsync();
            await Assertions.Expect(page.GetByTestId("kpi-total-variance-drafts")).ToHaveTextAsync(varianceBefore, new() { Timeout = 30_000 });
            await Assertions.Expect(endCell).ToHaveTextAsync(D(first.End.AddDays(14)));
            await page.GetByTestId("drafts-undo").ClickAsync();
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("No changed lines", new() { Timeout = 30_000 });
            await Assertions.Expect(startCell).ToHaveTextAsync(D(first.Start));
            await Assertions.Expect(grid.Locator(".pfa-changed-cell")).ToHaveCountAsync(0);

            // Redo both, in order.
            await Assertions.Expect(page.GetByTestId("drafts-redo")).ToHaveTextAsync("Redo Shift 3 lines +14 d");
            await page.GetByTestId("drafts-redo").ClickAsync();
            await Assertions.Expect(startCell).ToHaveTextAsync(D(first.Start.AddDays(14)), new() { Timeout = 30_000 });
            await page.GetByTestId("drafts-redo").ClickAsync();
            await Assertions.Expect(endCell).ToHaveTextAsync(D(newEnd), new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("kpi-total-forecast-drafts")).ToHaveTextAsync(forecastEdited);

            // CSV of my changed lines, downloaded through the web app (the API token never reaches the browser).
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("drafts-export").ClickAsync());
            var csvPath = Path.Combine(Shots, "journey-forecast.csv");
            await download.SaveAsAsync(csvPath);
            var csv = await File.ReadAllLinesAsync(csvPath, Ct);
            Assert.Equal("PFA ID,Start Date,End Date,Monthly Rate", csv[0]);
            Assert.Contains(csv, l => l.StartsWith($"{first.PfaId},{D(first.Start.AddDays(14))},{D(newEnd)},", StringComparison.Ordinal));
            Assert.Equal(4, csv.Length);

            // Commit: the confirmation says what goes to PEMS; the worker writes it and the line turns synced.
            await page.GetByTestId("drafts-commit").ClickAsync();
            await Assertions.Expect(page.GetByTestId("drafts-confirm")).ToContainTextAsync("Write 3 changed lines to PEMS? Fields: Forecast end, Forecast start.");
            await page.GetByTestId("drafts-confirm-yes").ClickAsync();

            // The commit's toast covers no control: not the sync banner's buttons, not the tray's (issue #19: it covered the banner).
            var toast = page.Locator(".mud-snackbar").First;
            await Assertions.Expect(toast).ToContainTextAsync("committed for write-back", new() { Timeout = 30_000 });
            var t = (await toast.BoundingBoxAsync())!;
            var controls = page.Locator("[data-testid=sync-banner] button, [data-testid=sync-banner] a, [data-testid=drafts-tray] button, [data-testid=plan-strip] button");
            Assert.True(await controls.CountAsync() >= 5);
            foreach (var control in await controls.AllAsync())
            {
                if (await control.BoundingBoxAsync() is not { } c) continue;
                var overlaps = c.X < t.X + t.Width && t.X < c.X + c.Width && c.Y < t.Y + t.Height && t.Y < c.Y + c.Height;
                Assert.False(overlaps, $"the toast ({t.X},{t.Y} {t.Width}×{t.Height}) covers '{await control.TextContentAsync()}' ({c.X},{c.Y})");
            }
            // A toast leaves with the page (long before its 5 s are up).
            await page.GetByTestId("nav-timeline").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0, new() { Timeout = 2_000 });
            await page.GetByTestId("nav-plan").ClickAsync();
            await Assertions.Expect(Row(grid, first.PfaId).Locator("[data-testid=row-state]")).ToHaveAttributeAsync("data-state", "synced", new() { Timeout = 90_000 });
            await Assertions.Expect(page.GetByTestId("writeback-synced")).ToHaveTextAsync("3 synced", new() { Timeout = 30_000 });
            // Synced means the mirror already holds PEMS's values (the worker re-reads the line in the transaction that closes the
            // delta): the grid shows the written dates as plain mirror values, no longer as my changes.
            await Assertions.Expect(Cell(grid, first.PfaId, "forecastStart")).ToHaveTextAsync(D(first.Start.AddDays(14)), new() { Timeout = 30_000 });
            await Assertions.Expect(Cell(grid, first.PfaId, "forecastEnd")).ToHaveTextAsync(D(newEnd));
            await Assertions.Expect(grid.Locator("td.pfa-changed")).ToHaveCountAsync(0);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "journey-after-commit.png") });

            var pems = PemsClientFor(stack);
            var written = PemsWriteMapping.Default.FromUds(await pems.GetRecordAsync(Org, first.PfaId, Ct),
                [PfaFieldNames.ForecastStart, PfaFieldNames.ForecastEnd]);
            Assert.Equal(first.Start.AddDays(14), written[PfaFieldNames.ForecastStart]);
            Assert.Equal(newEnd, written[PfaFieldNames.ForecastEnd]);

            // A reload keeps the area filter (per organization, in the browser).
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync($"{total:#,0} lines", new() { Timeout = 60_000 });
            // The commit made the journal's operations impossible to undo: none is offered (issue #19: it offered them, then did nothing).
            await Assertions.Expect(page.GetByTestId("drafts-undo")).ToHaveTextAsync("Undo");
            await Assertions.Expect(page.GetByTestId("drafts-undo")).ToBeDisabledAsync();
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("No changed lines");

            // A viewer: rows, but no way to edit a cell.
            var viewerPage = await NewPageAsync(browser);
            await SignInAsync(viewerPage, web, viewer);
            var viewerGrid = viewerPage.GetByTestId("pfa-grid");
            await Assertions.Expect(viewerGrid.Locator("tbody tr.mud-table-row").First.Locator(".pfa-cell[data-field=pfaId]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(viewerPage.GetByTestId("drafts-tray")).ToHaveCountAsync(0);
            await Assertions.Expect(viewerGrid.Locator(".pfa-editable")).ToHaveCountAsync(0);
            await viewerGrid.Locator(".pfa-cell[data-field=forecastEnd]").First.FocusAsync();
            await viewerPage.Keyboard.PressAsync("Enter");
            await Assertions.Expect(viewerGrid.GetByTestId("cell-input")).ToHaveCountAsync(0);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "journey-failure.png") });
            // The web app's own account of a failure (an unhandled circuit error shows only as the page's error bar).
            TestContext.Current.TestOutputHelper?.WriteLine(stack.App.ConsoleLog("web"));
            throw;
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static ILocator Row(ILocator grid, string pfaId) => grid.Locator($"tbody tr.mud-table-row:has(.pfa-cell[data-pfa='{pfaId}'])");

    private static ILocator Cell(ILocator grid, string pfaId, string field) => grid.Locator($".pfa-cell[data-pfa='{pfaId}'][data-field='{field}']");

    /// <summary>Waits for the first completed read sync of the organization; returns the area's shiftable lines in grid order.</summary>
    private static async Task<List<Line>> WaitForMirrorAsync(NpgsqlDataSource db, Guid orgId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            await using var cmd = db.CreateCommand("SELECT count(*) FROM sync_log WHERE organization_id = $1 AND direction = 'read' AND status = 'completed'");
            cmd.Parameters.AddWithValue(orgId);
            if ((long)(await cmd.ExecuteScalarAsync(Ct))! > 0) break;
            Assert.True(DateTime.UtcNow < deadline, "The sync worker did not mirror the organization in time.");
            await Task.Delay(500, Ct);
        }
        await using var lines = db.CreateCommand("""
            SELECT pfa_id, forecast_start, forecast_end FROM pfa_mirror
            WHERE organization_id = $1 AND area_silo = $2 AND deleted_in_pems_at IS NULL AND source = 'Rental'
              AND monthly_rate > 0 AND NOT is_actualized AND NOT is_discontinued AND NOT is_funds_transferable AND forecast_start IS NOT NULL AND forecast_end IS NOT NULL
            ORDER BY pfa_id LIMIT 3
            """);
        lines.Parameters.AddWithValue(orgId);
        lines.Parameters.AddWithValue(Area);
        var result = new List<Line>();
        await using var r = await lines.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct)) result.Add(new Line(r.GetString(0), r.GetFieldValue<DateOnly>(1), r.GetFieldValue<DateOnly>(2)));
        Assert.Equal(3, result.Count);
        return result;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, Guid orgId)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM pfa_mirror WHERE organization_id = $1 AND area_silo = $2 AND deleted_in_pems_at IS NULL");
        cmd.Parameters.AddWithValue(orgId);
        cmd.Parameters.AddWithValue(Area);
        return (long)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>A client of the stack's simulator with its development credentials (Pfa.SyncWorker/appsettings.json).</summary>
    private static PemsClient PemsClientFor(StackFixture stack) => new(new HttpClient(), new PemsClientOptions
    {
        BaseAddress = new Uri(stack.App.GetEndpoint(PfaResources.PemsSimulator), "axis/restservices/"),
        Tenant = "BECHTEL_DEV",
        UserName = "PFA_SERVICE",
        Password = "simulator",
    });
}
