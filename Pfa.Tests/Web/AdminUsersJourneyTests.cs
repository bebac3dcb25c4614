using Microsoft.Playwright;
using Npgsql;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// The users page in chromium against the whole stack: an organization admin invites a user (the temporary password is
/// shown once), revokes their financial visibility; the user signs in, must change the password first, then sees line
/// counts but no amounts; the admin deactivates them and their open page is signed out at its next call; the audit page
/// shows each step.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class AdminUsersJourneyTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Org_admin_invites_a_user_revokes_financials_and_deactivates_them()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "UA" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var admin = "orgadmin" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, admin, orgId, "Admin");
        await SeedMirrorAsync(db, orgId, Enumerable.Range(1, 5).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}", Description = "Generator " + i, Category = "02036", Class = "GEN", Source = PfaSource.Rental,
            MonthlyRate = 1000 + i, OriginalStart = new DateOnly(2027, 1, 1), OriginalEnd = new DateOnly(2027, 3, 31),
            ForecastStart = new DateOnly(2027, 1, 1), ForecastEnd = new DateOnly(2027, 3, 31),
        }).ToArray());
        var invited = "invited" + suffix.ToLowerInvariant();

        Directory.CreateDirectory(Shots);
        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);
        var userPage = await NewPageAsync(browser); // its own context: its own cookie
        try
        {
            await SignInAsync(page, web, admin);
            await Assertions.Expect(page.GetByTestId("nav-users")).ToBeVisibleAsync();
            await page.GotoAsync(web + "/admin/users");
            await Assertions.Expect(page.GetByTestId("users-page")).ToHaveAttributeAsync("data-ready", "true", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("users-table")).ToContainTextAsync(admin, new() { Timeout = 30_000 });

            // Invite: the admin's only organization is preselected, role Viewer.
            await page.GetByTestId("users-new").ClickAsync();
            await Input(page, "new-username").FillAsync(invited);
            await Input(page, "new-displayname").FillAsync("Invited " + suffix);
            await Input(page, "new-email").FillAsync($"{invited}@example.com");
            await page.GetByTestId("new-create").ClickAsync();
            var temporary = (await page.GetByTestId("users-temp-password-value").InnerTextAsync(new() { Timeout = 30_000 })).Trim();
            Assert.True(temporary.Length >= 12, $"temporary password '{temporary}'");
            var detail = page.GetByTestId("user-detail");
            await Assertions.Expect(detail.GetByTestId("membership")).ToHaveAttributeAsync("data-org", org);
            await Assertions.Expect(detail.GetByTestId("membership-effective")).ToContainTextAsync("ViewFinancials");

            // Revoke ViewFinancials: the effective set loses it and the database holds the override.
            await detail.GetByTestId("membership-revoked").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "ViewFinancials" }).ClickAsync();
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(detail.GetByTestId("membership-effective").Locator(".mud-chip").Filter(new() { HasText = "ViewFinancials" }))
                .ToHaveCSSAsync("text-decoration-line", "line-through", new() { Timeout = 15_000 });
            Assert.Equal(1, await ScalarAsync<int>(db, """
                SELECT m.permissions_revoked FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = $1
                """, invited));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "admin-users.png") });

            // The invited user: temporary password, forced change, then the plan without amounts.
            await userPage.GotoAsync(web + "/");
            await userPage.Locator("#username").FillAsync(invited);
            await userPage.Locator("#password").FillAsync(temporary);
            await userPage.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(userPage).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/change-password"));
            const string chosen = "a-Chosen-Password-42";
            await userPage.Locator("#currentPassword").FillAsync(temporary);
            await userPage.Locator("#newPassword").FillAsync(chosen);
            await userPage.Locator("#confirmPassword").FillAsync(chosen);
            await userPage.GetByTestId("change-password-form").Locator("button[type=submit]").ClickAsync();
            await Assertions.Expect(userPage.GetByTestId("kpi-amounts-hidden")).ToContainTextAsync("5 lines", new() { Timeout = 30_000 });
            await Assertions.Expect(userPage.GetByTestId("pfa-grid")).ToContainTextAsync($"{org}-001");
            await Assertions.Expect(userPage.GetByTestId("pfa-grid").Locator("th").Filter(new() { HasText = "Rate / month" })).ToHaveCountAsync(0);
            await userPage.ScreenshotAsync(new() { Path = Path.Combine(Shots, "admin-users-masked.png") });

            // Deactivate: confirmed in a dialog; the user's next call to the API ends their web session.
            await detail.GetByTestId("user-deactivate").ClickAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
            await Assertions.Expect(detail.GetByTestId("user-reactivate")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            Assert.False(await ScalarAsync<bool>(db, "SELECT is_active FROM users WHERE username = $1", invited));
            // Filed under the organization the admin acted through, so its admins see it.
            Assert.Equal(org, await ScalarAsync<string>(db, """
                SELECT o.code FROM audit_log a JOIN organizations o ON o.id = a.organization_id JOIN users u ON u.id::text = a.entity_id
                WHERE a.action = 'user.deactivate' AND u.username = $1
                """, invited));
            await userPage.ReloadAsync();
            await Assertions.Expect(userPage).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"), new() { Timeout = 30_000 });

            // Every step is in the organization's audit trail, which its admin reads on the audit page.
            await Assertions.Expect(page.GetByTestId("nav-audit")).ToBeVisibleAsync();
            await page.GotoAsync(web + "/admin/audit");
            var audit = page.GetByTestId("audit-table");
            foreach (var action in new[] { "user.create", "membership.permissions", "user.deactivate" })
                await Assertions.Expect(audit.Locator("tr").Filter(new() { HasText = action }).Filter(new() { HasText = org }).First)
                    .ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "admin-audit.png") });
        }
        finally
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "admin-users-last.png") });
            await page.Context.CloseAsync();
            await userPage.Context.CloseAsync();
        }
    }

    /// <summary>MudBlazor puts a text field's attributes on the input itself or on its wrapper, depending on the component.</summary>
    private static ILocator Input(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, string arg)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue(arg);
        return (T)(await cmd.ExecuteScalarAsync(Ct))!;
    }
}
