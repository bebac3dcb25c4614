using System.Security.Cryptography;
using System.Text;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// Issue #16 items 5–7 in chromium on the shared stack: a line's history → restore an old PEMS version as a draft; the "New
/// lines" dialog → two new draft lines in the grid; an import file → preview with a row error → apply (one undo entry).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class LinesJourneyTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pm_restores_a_version_adds_new_lines_and_imports_a_file()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "LN" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var pm = "pml" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, pm, orgId, "PortfolioManager");
        PfaRecord Line(int i, decimal rate) => new()
        {
            PfaId = $"{org}-{i:000}", Description = $"Generator {i}", AreaSilo = "EAST", Class = "GEN", Category = "03100", Source = PfaSource.Rental,
            MonthlyRate = rate, OriginalStart = new DateOnly(2027, 1, 1), OriginalEnd = new DateOnly(2027, 3, 31),
            ForecastStart = new DateOnly(2027, 1, 1), ForecastEnd = new DateOnly(2027, 3, 31),
        };
        await SeedMirrorAsync(db, orgId, Enumerable.Range(1, 5).Select(i => Line(i, 3000m)).ToArray());
        await NewPemsVersionAsync(db, orgId, Line(1, 4000m)); // PEMS raised line 001's rate: version 2

        Directory.CreateDirectory(Shots);
        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);
        try
        {
            await SignInAsync(page, web, pm);
            var grid = page.GetByTestId("pfa-grid");
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync("5 lines", new() { Timeout = 60_000 });
            var rate1 = grid.Locator($".pfa-cell[data-pfa='{org}-001'][data-field='monthlyRate']");
            await Assertions.Expect(rate1).ToHaveTextAsync("4,000");

            // History → restore version 1: a draft with the old rate, undoable.
            await grid.Locator($"tbody tr.mud-table-row:has(.pfa-cell[data-pfa='{org}-001'])").GetByTestId("row-history").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=history-entry][data-kind=version]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "lines-history.png") });
            await page.Locator("[data-testid=history-entry][data-version='1'] [data-testid=history-restore]").ClickAsync();
            await Assertions.Expect(rate1).ToHaveTextAsync("3,000", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("1 changed line", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("drafts-undo")).ToHaveTextAsync($"Undo Restore {org}-001 to version 1");

            // New lines: two rental lines appear in the grid as my drafts.
            await page.GetByTestId("newlines-open").ClickAsync();
            await Input(page, "newlines-count").FillAsync("2");
            await Input(page, "newlines-description").FillAsync("Light tower");
            await Input(page, "newlines-area").FillAsync("EAST");
            await Input(page, "newlines-category").FillAsync("03100");
            await Input(page, "newlines-start").FillAsync("2027-02-01");
            await Input(page, "newlines-start").PressAsync("Tab");
            await Input(page, "newlines-end").FillAsync("2027-04-30");
            await Input(page, "newlines-end").PressAsync("Tab");
            // Without a rate a rental line is refused, the field named.
            await page.GetByTestId("newlines-create").ClickAsync();
            await Assertions.Expect(page.GetByTestId("newlines-error")).ToContainTextAsync("Rate / month", new() { Timeout = 30_000 });
            await Input(page, "newlines-rate").FillAsync("1500");
            await Input(page, "newlines-rate").PressAsync("Tab");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "lines-new-dialog.png") });
            await page.GetByTestId("newlines-create").ClickAsync();
            await Assertions.Expect(page.GetByTestId("grid-total")).ToHaveTextAsync("7 lines", new() { Timeout = 30_000 });
            await Assertions.Expect(grid.Locator(".pfa-cell[data-field=pfaId][data-pfa^='NEW-']")).ToHaveCountAsync(2);
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("3 changed lines", new() { Timeout = 30_000 });

            // Import: one good row, one bad date; preview shows both, apply stores the good one as one undoable step.
            var csv = Path.Combine(Shots, "lines-import.csv");
            await File.WriteAllTextAsync(csv, $"PFA ID,Rate / month,Forecast end\n{org}-002,\"$2,500\",\n{org}-003,,2027-13-01\n", Ct);
            await page.GetByTestId("import-open").ClickAsync();
            // A file chosen before Blazor's InputFile has attached its change listener is never read (no person is that fast;
            // a script is): wait until the input is initialised (Blazor's InputFile.init marks the element).
            await page.WaitForFunctionAsync("() => document.querySelector('input[data-testid=import-file]')?._blazorInputFileNextFileId !== undefined",
                null, new() { Timeout = 30_000 });
            await page.GetByTestId("import-file").SetInputFilesAsync(csv);
            await Assertions.Expect(page.GetByTestId("import-row")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("[data-testid=import-row][data-valid=false]")).ToContainTextAsync("Forecast end:");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "lines-import-preview.png") });
            await page.GetByTestId("import-apply").ClickAsync();
            await Assertions.Expect(grid.Locator($".pfa-cell[data-pfa='{org}-002'][data-field='monthlyRate']")).ToHaveTextAsync("2,500", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("drafts-count")).ToHaveTextAsync("4 changed lines", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("drafts-undo")).ToHaveTextAsync("Undo Import lines-import.csv (1 line)");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "lines-after-import.png") });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "lines-failure.png") });
            throw;
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    /// <summary>A MudBlazor field's input, whether the test id landed on the input itself or on its wrapper.</summary>
    private static ILocator Input(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    /// <summary>A PEMS change of a mirrored line as the sync writes it: the old row to history, the new one with the next version.</summary>
    private static async Task NewPemsVersionAsync(NpgsqlDataSource db, Guid org, PfaRecord record)
    {
        var data = PfaJson.ToJson(record).ToJsonString();
        await using var cmd = db.CreateCommand("""
            WITH h AS (
              INSERT INTO pfa_mirror_history (mirror_id, organization_id, mirror_version, data, pems_version, content_hash, recorded_at, changed_by)
              SELECT id, organization_id, mirror_version, data, pems_version, content_hash, now(), 'PEMS_SYNC' FROM pfa_mirror WHERE organization_id = $1 AND pfa_id = $2
            )
            UPDATE pfa_mirror SET data = $3::jsonb, content_hash = $4, mirror_version = mirror_version + 1, last_synced_at = now()
            WHERE organization_id = $1 AND pfa_id = $2
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(record.PfaId);
        cmd.Parameters.AddWithValue(data);
        cmd.Parameters.AddWithValue(SHA256.HashData(Encoding.UTF8.GetBytes(data)));
        await cmd.ExecuteNonQueryAsync(Ct);
        await Pfa.Data.Queries.PfaStore.MirrorChangedAsync(db, org, Ct);
    }
}
