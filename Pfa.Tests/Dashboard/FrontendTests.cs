using System.Net;
using System.Net.Http.Json;
using Pfa.Dashboard.Components.Controls;

namespace Pfa.Tests.Dashboard;

/// <summary>The browser side over plain HTTP: the token login, what it guards, and the resources page's server-rendered HTML.</summary>
public sealed class FrontendTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private DashboardProcess Dashboard => fixture.Dashboard;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Login_with_the_right_token_sets_the_cookie_and_shows_the_resources()
    {
        using var client = Dashboard.NewClient();
        using (var anonymous = await client.GetAsync("/", Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith("/login", anonymous.Headers.Location!.PathAndQuery);
        }

        using (var login = await client.GetAsync($"/login?t={Uri.EscapeDataString(Dashboard.BrowserToken)}", Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            Assert.Equal("/", login.Headers.Location!.IsAbsoluteUri ? login.Headers.Location.AbsolutePath : login.Headers.Location.OriginalString);
            Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("pfa.dashboard=", StringComparison.Ordinal) && c.Contains("httponly"));
        }

        var html = await client.GetStringAsync("/", Ct);
        foreach (var name in new[] { "api", "web", "pg", "syncworker" }) Assert.Contains($"data-testid=\"resource-{name}\"", html);
        Assert.Contains("http://localhost:5310", html);
        Assert.Contains("4201", html); // api's PID
    }

    [Fact]
    public async Task A_wrong_or_missing_token_shows_the_login_page_with_an_error_and_sets_no_cookie()
    {
        using var client = Dashboard.NewClient();
        using (var wrong = await client.GetAsync("/login?t=not-the-token", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.DoesNotContain(wrong.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
                c => c.StartsWith("pfa.dashboard=", StringComparison.Ordinal));
            var html = await wrong.Content.ReadAsStringAsync(Ct);
            Assert.Contains("data-testid=\"login-error\"", html);
            Assert.Contains("not valid", html);
        }
        using (var page = await client.GetAsync("/traces", Ct)) Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        using (var api = await client.GetAsync("/api/telemetry/traces", Ct)) Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        using (var download = await client.GetAsync("/api/console/download", Ct)) Assert.Equal(HttpStatusCode.Unauthorized, download.StatusCode);
        using (var login = await client.GetAsync("/login", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.DoesNotContain("data-testid=\"login-error\"", await login.Content.ReadAsStringAsync(Ct));
        }
    }

    [Fact]
    public async Task Resource_details_mask_secret_environment_values()
    {
        using var client = await Dashboard.LoginAsync();
        // Razor encodes the mask's bullets as character references.
        var html = WebUtility.HtmlDecode(await client.GetStringAsync("/?resource=api", Ct));
        Assert.Contains("data-testid=\"resource-details\"", html);
        Assert.Contains("ConnectionStrings__pfadb", html);
        Assert.Contains($"data-testid=\"env-ConnectionStrings__pfadb\">{ResourceDetails.Mask}<", html);
        Assert.DoesNotContain(FakeResourceService.SecretValue, html);
        Assert.DoesNotContain("Sup3r-Secret", html);
        // Non-secret values are shown as they are; references and health reports are listed.
        Assert.Contains("data-testid=\"env-ASPNETCORE_ENVIRONMENT\">Development<", html);
        Assert.Contains("pfadb, cache", html);
        Assert.Contains("/health", html);
    }

    [Fact]
    public async Task Console_download_returns_the_interleaved_lines_as_text()
    {
        using var client = await Dashboard.LoginAsync();
        using var all = await client.GetAsync("/api/console/download", Ct);
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal("text/plain", all.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("all-console-", all.Content.Headers.ContentDisposition?.FileNameStar ?? all.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var text = await all.Content.ReadAsStringAsync(Ct);
        Assert.Contains("[pg] ", text);
        Assert.Contains("[api] ", text);
        Assert.Contains("ERR warn: Pfa.Api[0] Slow query", text);
        Assert.True(text.IndexOf("[pg] ", StringComparison.Ordinal) < text.IndexOf("[syncworker] ", StringComparison.Ordinal));

        var apiOnly = await client.GetStringAsync("/api/console/download?resource=api&search=slow", Ct);
        Assert.Equal(["ERR warn: Pfa.Api[0] Slow query on pfa_records (812 ms)"], apiOnly.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[13..].TrimEnd('\r')));

        using var badTail = await client.GetAsync("/api/console/download?tail=0", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badTail.StatusCode);
        var problem = await badTail.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>(Ct);
        Assert.Contains("tail", problem!.Errors.Keys);
    }
}
