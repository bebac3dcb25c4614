using Microsoft.Playwright;
using Npgsql;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;
using static Pfa.Tests.Web.BrowserJourneyTests;

namespace Pfa.Tests.Web;

/// <summary>
/// A user who clicks a menu link while the page is still prerendered (the circuit not yet connected: a slow server or
/// network) gets the page they clicked, and it becomes interactive; the circuit that was starting for the previous page
/// must not put that page back.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class EarlyNavigationBrowserTests(StackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_link_clicked_while_the_circuit_starts_opens_its_page_and_it_becomes_interactive()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        await using var db = NpgsqlDataSource.Create((await stack.App.GetConnectionStringAsync(PfaResources.Database, Ct))!);
        var orgId = await CreateOrgAsync(db, "EN" + suffix);
        var admin = "earlynav" + suffix.ToLowerInvariant();
        await CreateUserAsync(db, admin, orgId, "Admin");
        await using (var cmd = db.CreateCommand("UPDATE users SET is_system_admin = true WHERE username = $1"))
        {
            cmd.Parameters.AddWithValue(admin);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Ct));
        }

        var web = stack.App.GetEndpoint(PfaResources.Web).ToString().TrimEnd('/');
        using var pw = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(pw);
        var page = await NewPageAsync(browser);
        await SignInAsync(page, web, admin);
        await Assertions.Expect(page.GetByTestId("nav-admin-orgs")).ToBeVisibleAsync();

        // The race of a slow start: the click's request for the organizations page is still on its way when the circuit,
        // started for the plan page, renders and takes over the page. Played here in that order: past the SignalR
        // handshake, the server's circuit messages wait (in order) for the click; the organizations page waits until the
        // circuit has rendered (twenty messages: the plan page's first render batches).
        var gate = new object();
        var held = new List<Action>();
        var open = false;
        var delivered = 0;
        var rendered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/_blazor"), ws =>
        {
            var server = ws.ConnectToServer();
            var handshake = true;
            server.OnMessage(frame =>
            {
                void Deliver()
                {
                    if (frame.Binary is { } bytes) ws.Send(bytes); else ws.Send(frame.Text!);
                    if (Interlocked.Increment(ref delivered) >= 20) rendered.TrySetResult();
                }
                lock (gate)
                {
                    if (open || handshake) Deliver(); else held.Add(Deliver);
                    handshake = false;
                }
            });
        });
        await page.RouteAsync("**/admin/organizations", async route =>
        {
            lock (gate)
            {
                open = true;
                held.ForEach(deliver => deliver());
            }
            // A document request (a full navigation) unloads the page: its circuit may not get that far.
            await Task.WhenAny(rendered.Task, Task.Delay(TimeSpan.FromSeconds(10)));
            await Task.Delay(2000);
            await route.ContinueAsync();
        });
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("plan-strip")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await page.GetByTestId("nav-admin-orgs").ClickAsync();
        await Assertions.Expect(page.GetByTestId("org-page")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("org-page")).ToHaveAttributeAsync("data-interactive", "true", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("plan-strip")).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveURLAsync(web + "/admin/organizations");
    }
}
