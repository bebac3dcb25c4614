using System.Collections.Concurrent;
using Microsoft.Playwright;
using Npgsql;
using Pfa.Domain;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// The web app's content security policy against its own pages in chromium: a system admin visits every page; no
/// <c>securitypolicyviolation</c> event and no console error or warning on any of them, and each document carries the
/// CSP, frame, referrer and nosniff headers. Also the sign-in page's answer to the API's 429 (too many failed sign-ins).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class SecurityHeadersBrowserTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Pages =
        ["/", "/timeline", "/conflicts", "/sync", "/portfolio", "/admin/users", "/admin/audit", "/admin/organizations", "/account/change-password"];

    [Fact]
    public async Task Every_page_satisfies_the_content_security_policy_and_carries_the_security_headers()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var org = "SH" + suffix;
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, org);
        var admin = "cspadmin" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, admin, orgId, "Admin");
        await using (var cmd = db.CreateCommand("UPDATE users SET is_system_admin = true WHERE username = $1"))
        {
            cmd.Parameters.AddWithValue(admin);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Ct));
        }
        await SeedMirrorAsync(db, orgId, Enumerable.Range(1, 5).Select(i => new PfaRecord
        {
            PfaId = $"{org}-{i:000}", Description = "Compressor " + i, Category = "02036", Class = "AIR", Source = PfaSource.Rental,
            MonthlyRate = 900 + i, OriginalStart = new DateOnly(2027, 1, 1), OriginalEnd = new DateOnly(2027, 3, 31),
            ForecastStart = new DateOnly(2027, 1, 1), ForecastEnd = new DateOnly(2027, 4, 30),
        }).ToArray());

        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var violations = new ConcurrentQueue<string>();
        var console = new ConcurrentQueue<string>();
        var current = "";
        // Reported from every document through a binding (CDP, not subject to the page's CSP).
        await context.ExposeFunctionAsync("__pfaCspViolation", (string v) => violations.Enqueue($"{current}: {v}"));
        await context.AddInitScriptAsync("""
            document.addEventListener('securitypolicyviolation', e =>
              window.__pfaCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
            """);
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning") console.Enqueue($"{current}: {m.Type} {m.Text}");
        };
        page.PageError += (_, e) => console.Enqueue($"{current}: page error {e}");

        // The sign-in page, before and after signing in.
        current = "/login";
        var login = await page.GotoAsync(web + "/login");
        await AssertHeadersAsync(login!, "/login");
        await SignInAsync(page, web, admin);

        foreach (var path in Pages)
        {
            current = path;
            var response = await page.GotoAsync(web + path, new() { WaitUntil = WaitUntilState.NetworkIdle });
            Assert.NotNull(response);
            Assert.True(response.Ok, $"{path}: HTTP {response.Status}");
            await AssertHeadersAsync(response, path);
            // Interactive pages render once the circuit is up: wait for Blazor, then give the render a moment to run.
            await page.WaitForFunctionAsync("() => window.Blazor !== undefined", null, new() { Timeout = 30_000 });
            await page.WaitForTimeoutAsync(1500);
            Assert.DoesNotContain("/login", new Uri(page.Url).AbsolutePath); // really signed in on each page
        }

        Assert.True(violations.IsEmpty, "CSP violations:\n" + string.Join("\n", violations));
        Assert.True(console.IsEmpty, "Console errors/warnings:\n" + string.Join("\n", console));

        // Control: an inline script without the nonce is blocked and reported, so the silence above means something.
        current = "control";
        await page.EvaluateAsync("() => document.body.appendChild(Object.assign(document.createElement('script'), { textContent: 'window.__pfaRan = true' }))");
        for (var i = 0; i < 100 && violations.IsEmpty; i++) await Task.Delay(100, Ct);
        Assert.Contains("script-src", violations.Single());
        Assert.False(await page.EvaluateAsync<bool>("() => window.__pfaRan === true"));
    }

    private static async Task AssertHeadersAsync(IResponse response, string path)
    {
        var headers = await response.AllHeadersAsync();
        var csp = headers.GetValueOrDefault("content-security-policy") ?? "";
        foreach (var directive in new[] { "default-src 'self'", "script-src 'self' 'nonce-", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
                     "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'" })
            Assert.True(csp.Contains(directive, StringComparison.Ordinal), $"{path}: CSP lacks {directive}: {csp}");
        Assert.DoesNotContain("'unsafe-eval'", csp);
        Assert.Equal("DENY", headers.GetValueOrDefault("x-frame-options"));
        Assert.Equal("nosniff", headers.GetValueOrDefault("x-content-type-options"));
        Assert.Equal("strict-origin-when-cross-origin", headers.GetValueOrDefault("referrer-policy"));
    }

    [Fact]
    public async Task Too_many_failed_sign_ins_show_how_long_to_wait()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, "TH" + suffix);
        var user = "locked" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, user, orgId, "Viewer");

        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);

        async Task Attempt(string password)
        {
            await page.GotoAsync(web + "/login");
            await page.Locator("#username").FillAsync(user);
            await page.Locator("#password").FillAsync(password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("login-error")).ToBeVisibleAsync();
        }
        // The API's default: 5 failures lock the account.
        for (var i = 0; i < 5; i++)
        {
            await Attempt("wrong-password-" + i);
            await Assertions.Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Invalid user name or password.");
        }
        // Locked: even the right password gets the wait, in whole minutes.
        await Attempt(Password);
        await Assertions.Expect(page.GetByTestId("login-error")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Too many attempts, try again in \d+ minutes?\.$"));
        Assert.Contains("error=throttled", page.Url);
    }
}
