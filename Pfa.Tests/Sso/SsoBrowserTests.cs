using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Api.Infrastructure;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using Pfa.Tests.Api;
using Pfa.Tests.Web;

namespace Pfa.Tests.Sso;

/// <summary>
/// In Debian's chromium against the whole stack: single sign-on through the test issuer's own sign-in page, landing on
/// the plan of the user's organization; and the organizations admin page adding an organization from PEMS's list.
/// Screenshots go to the test output (screenshots/).
/// </summary>
[Collection(SsoStackCollection.Name)]
public sealed class SsoBrowserTests(SsoStackFixture stack)
{
    [Fact]
    public async Task Sign_in_with_the_test_IdP_lands_on_the_plan_of_the_users_organization()
    {
        var s = Guid.NewGuid().ToString("N")[..6];
        var org = "SSOUI" + s.ToUpperInvariant();
        var email = $"planner.{s}@corp.test";
        var orgId = await BrowserJourneyTests.CreateOrgAsync(stack.Db, org);
        await BrowserJourneyTests.CreateUserAsync(stack.Db, $"planner{s}", orgId, "PortfolioManager");
        await using (var cmd = stack.Db.CreateCommand("UPDATE users SET email = $1 WHERE username = $2"))
        {
            cmd.Parameters.AddWithValue(email);
            cmd.Parameters.AddWithValue($"planner{s}");
            await cmd.ExecuteNonQueryAsync(Http.Ct);
        }
        await BrowserJourneyTests.SeedMirrorAsync(stack.Db, orgId, [.. Enumerable.Range(1, 5).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}", Description = "Light tower " + i, AreaSilo = "NORTH", Class = "LIGHT", Category = "02036",
            Source = PfaSource.Rental, MonthlyRate = 1000 + i,
            OriginalStart = new DateOnly(2027, 1, 1), OriginalEnd = new DateOnly(2027, 6, 30),
            ForecastStart = new DateOnly(2027, 1, 1), ForecastEnd = new DateOnly(2027, 6, 30),
        })]);
        stack.Issuer.AddUser(new Infrastructure.TestOidcIssuer.User($"idp-planner{s}", "idp-Password-1", $"sub-planner-{s}", email, true, "Planner " + s));

        Directory.CreateDirectory(BrowserJourneyTests.Shots);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await BrowserJourneyTests.LaunchChromiumAsync(pw);
        var page = await BrowserJourneyTests.NewPageAsync(browser);
        try
        {
            await page.GotoAsync(stack.Web + "");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login"));
            var sso = page.GetByTestId("sso-signin");
            await Assertions.Expect(sso).ToHaveTextAsync(new Regex($"Sign in with {SsoStackFixture.DisplayName}", RegexOptions.IgnoreCase));
            await sso.ClickAsync();

            // The issuer's own page: a different origin, its own form.
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(stack.Issuer.Authority.ToString()) + "login"));
            await page.Locator("#idp-username").FillAsync($"idp-planner{s}");
            await page.Locator("#idp-password").FillAsync("idp-Password-1");
            await page.Locator("#idp-submit").ClickAsync();

            await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(stack.Web.ToString().TrimEnd('/')) + "/?$"), new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("pfa-grid")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("pfa-grid").Locator("tbody tr.mud-table-row").First).ToContainTextAsync(org, new() { Timeout = 60_000 });
            await Assertions.Expect(page.GetByTestId("role-chip")).ToHaveTextAsync("PortfolioManager");
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserJourneyTests.Shots, "sso-plan.png") });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserJourneyTests.Shots, "sso-failed.png") });
            throw;
        }
    }

    [Fact]
    public async Task An_admin_adds_an_organization_from_the_PEMS_list_and_it_appears()
    {
        Directory.CreateDirectory(BrowserJourneyTests.Shots);
        using var pw = await Playwright.CreateAsync();
        await using var browser = await BrowserJourneyTests.LaunchChromiumAsync(pw);
        var page = await BrowserJourneyTests.NewPageAsync(browser);
        try
        {
            await page.GotoAsync(stack.Web + "");
            await page.Locator("#username").FillAsync("admin");
            await page.Locator("#password").FillAsync(SsoStackFixture.DemoPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("pfa-grid")).ToBeVisibleAsync(new() { Timeout = 30_000 });

            await page.GetByTestId("nav-admin-orgs").ClickAsync();
            var table = page.GetByTestId("org-table");
            await Assertions.Expect(table).ToContainTextAsync("RIO", new() { Timeout = 30_000 });
            await Assertions.Expect(table).Not.ToContainTextAsync(SsoStackFixture.UiOrg);

            await Assertions.Expect(page.GetByTestId("org-page")).ToHaveAttributeAsync("data-interactive", "true", new() { Timeout = 30_000 });
            await page.GetByTestId("org-add-open").ClickAsync();
            var add = page.GetByTestId($"pems-add-{SsoStackFixture.UiOrg}");
            await Assertions.Expect(add).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("pems-add-RIO")).ToHaveCountAsync(0); // already added: not offered
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserJourneyTests.Shots, "admin-orgs-add.png") });
            await add.ClickAsync();

            await Assertions.Expect(table.GetByTestId("org-code").Filter(new() { HasText = SsoStackFixture.UiOrg })).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserJourneyTests.Shots, "admin-orgs.png") });

            // SSO sign-up for the new organization: role and domain, saved through PATCH.
            var row = table.Locator("tr").Filter(new() { Has = page.GetByTestId("org-code").Filter(new() { HasText = SsoStackFixture.UiOrg }) });
            await row.GetByTestId("org-sso-edit").ClickAsync();
            await page.GetByTestId("sso-role").ClickAsync();
            await page.Locator(".mud-popover-open").GetByText("Editor", new() { Exact = true }).ClickAsync();
            await page.Locator("input[data-testid=sso-domains], [data-testid=sso-domains] input").FillAsync("ui.test");
            await page.GetByTestId("sso-save").ClickAsync();
            await Assertions.Expect(row.GetByTestId("org-sso")).ToHaveTextAsync("Editor · ui.test", new() { Timeout = 30_000 });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserJourneyTests.Shots, "admin-orgs-failed.png") });
            File.WriteAllText(Path.Combine(BrowserJourneyTests.Shots, "admin-orgs-failed.web.log"), stack.App.ConsoleLog(PfaResources.Web));
            throw;
        }
    }
}
