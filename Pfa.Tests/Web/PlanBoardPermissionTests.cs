using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components.Plan;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>The plan page against a stubbed API: role-aware controls.</summary>
public sealed class PlanBoardPermissionTests : BunitContext
{
    private sealed class StubApi : HttpMessageHandler
    {
        private static readonly KpiFigures Zero = new(0, 0, 0, 0, 0, null);
        public List<string> Requests { get; } = [];
        /// <summary>Simulates an API outage for writes (the connection is refused).</summary>
        public bool RefuseWrites { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var path = request.RequestUri!.AbsolutePath;
            lock (Requests) Requests.Add($"{request.Method} {request.RequestUri.PathAndQuery} {request.Headers.Authorization}");
            if (RefuseWrites && request.Method == HttpMethod.Post) throw new HttpRequestException("Connection refused");
            object body = path switch
            {
                _ when path.EndsWith("/kpis/monthly", StringComparison.Ordinal) => new MonthlyCostResult(false, []),
                _ when path.EndsWith("/kpis", StringComparison.Ordinal) => new KpiResult(false, null, Zero, Zero, Zero, [], 1, false),
                _ when path.EndsWith("/drafts/history", StringComparison.Ordinal) => DraftHistory.Empty,
                _ when path.EndsWith("/categories", StringComparison.Ordinal) => Array.Empty<Pfa.Domain.CategoryLabel>(),
                _ when path.EndsWith("/drafts/writeback", StringComparison.Ordinal) => Array.Empty<WriteBackLine>(),
                _ => new PfaPage([new PfaRow("P-1", "pristine", [], new Pfa.Domain.PfaRecord { PfaId = "P-1", Description = "Crane",
                    ForecastStart = new DateOnly(2025, 1, 1), ForecastEnd = new DateOnly(2025, 3, 2) })], null, 1, false),
            };
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(body, PfaApiClient.Json), Encoding.UTF8, "application/json"),
            });
        }
    }

    private readonly StubApi _api = new();

    private IRenderedComponent<PlanBoard> RenderAs(string role, bool canEdit, bool canCommit, IJSRuntime? js = null)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        if (js is not null) Services.AddSingleton(js);
        var membership = new Membership("RIO", "Rio Grande", role, canEdit, canCommit);
        var user = PfaClaims.Create(new MeResult(Guid.NewGuid(), "u", "U", null, [membership]), new LoginResult("secret-token", "Bearer", DateTimeOffset.UtcNow.AddHours(1)));
        var auth = new StaticAuth(user);
        Services.AddSingleton<AuthenticationStateProvider>(auth);
        Services.AddScoped<OrgSession>();
        Services.AddScoped<BrowserPrefs>();
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(_api) { BaseAddress = new Uri("http://api") }, sp.GetRequiredService<AuthenticationStateProvider>()));
        Services.AddScoped(sp => new LiveEvents(new PfaEventStream(new HttpClient(_api)), sp.GetRequiredService<PfaApiClient>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<LiveEvents>.Instance));
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        return Render<PlanBoard>(p => p.AddCascadingValue(auth.GetAuthenticationStateAsync()));
    }

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    [Fact]
    public async Task A_board_left_before_its_column_widths_script_loads_takes_the_widths_listener_down()
    {
        // The widths listener is set up after the first render; leaving the page before the script's import returns ran
        // DisposeAsync while there was nothing to dispose yet, and the listener then stayed on the document.
        var js = new DelayedWidthsRuntime();
        var cut = RenderAs("Editor", canEdit: true, canCommit: false, js);
        cut.WaitForAssertion(() => Assert.True(js.ImportAsked));

        await DisposeComponentsAsync();
        var module = new WidthsModule();
        await cut.InvokeAsync(() => js.Import.SetResult(module));

        cut.WaitForAssertion(() => Assert.True(module.Disposed));
        Assert.Equal(["remember"], module.Calls);
        Assert.Equal(["dispose"], module.Listener.Calls);
        Assert.True(module.Listener.Disposed);
    }

    /// <summary>A browser whose import of the plan board's script returns when the test says; everything else answers default.</summary>
    private sealed class DelayedWidthsRuntime : IJSRuntime
    {
        public TaskCompletionSource<IJSObjectReference> Import { get; } = new();
        public bool ImportAsked { get; private set; }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            if (identifier != "import" || args?[0] is not string path || !path.EndsWith("PlanBoard.razor.js", StringComparison.Ordinal)) return default!;
            ImportAsked = true;
            return (TValue)await Import.Task;
        }
    }

    private class RecordingReference : IJSObjectReference
    {
        public List<string> Calls { get; } = [];
        public bool Disposed { get; private set; }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public virtual ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            Calls.Add(identifier);
            return ValueTask.FromResult(default(TValue)!);
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class WidthsModule : RecordingReference
    {
        public RecordingReference Listener { get; } = new();

        public override ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            Calls.Add(identifier);
            return ValueTask.FromResult(identifier == "remember" ? (TValue)(object)Listener : default(TValue)!);
        }
    }

    [Fact]
    public void Viewer_sees_no_edit_controls()
    {
        var cut = RenderAs("Viewer", canEdit: false, canCommit: false);
        cut.WaitForElement("[data-testid=read-only]");
        // The grid has drawn its rows, so an absent checkbox means "none offered", not "not rendered yet".
        cut.WaitForAssertion(() => Assert.Contains("P-1", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=command-deck]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-tray]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-commit]"));
        Assert.Empty(cut.FindAll("[data-testid=pfa-grid] input[type=checkbox]"));
        // The token went to the API in the Authorization header, from the server-side principal.
        Assert.Contains(_api.Requests, r => r.EndsWith("Bearer secret-token", StringComparison.Ordinal));
        // Cells are keyboard-focusable but Enter opens no editor for a viewer.
        var cell = cut.Find(".pfa-cell[data-field=forecastEnd]");
        Assert.DoesNotContain("pfa-editable", cell.ClassName);
        cell.KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        Assert.Empty(cut.FindAll("[data-testid=cell-input]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-undo]"));
    }

    [Fact]
    public void Editor_gets_the_deck_and_tray_but_no_commit()
    {
        var cut = RenderAs("Editor", canEdit: true, canCommit: false);
        cut.WaitForElement("[data-testid=command-deck]");
        cut.WaitForAssertion(() => Assert.Contains("P-1", cut.Markup, StringComparison.Ordinal));
        Assert.NotEmpty(cut.FindAll("[data-testid=pfa-grid] input[type=checkbox]"));
        Assert.Single(cut.FindAll("[data-testid=drafts-tray]"));
        Assert.Empty(cut.FindAll("[data-testid=drafts-commit]"));
        Assert.Empty(cut.FindAll("[data-testid=read-only]"));
        cut.Find(".pfa-cell[data-field=forecastEnd]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        Assert.Equal("2025-03-02", cut.Find("input[data-testid=cell-input]").GetAttribute("value"));
    }

    [Fact]
    public void A_remembered_filter_is_applied_after_a_reload_and_a_new_filter_is_remembered()
    {
        JSInterop.Setup<string?>("localStorage.getItem", BrowserPrefs.FilterKey("RIO"))
            .SetResult(JsonSerializer.Serialize(new GridQuery { AreaSilo = ["SILO-4"], Search = "crane" }, PfaApiClient.Json));
        var cut = RenderAs("Editor", canEdit: true, canCommit: false);
        cut.WaitForAssertion(() => Assert.Contains(_api.Requests, r => r.Contains("areaSilo=SILO-4", StringComparison.Ordinal)
                                                                    && r.Contains("search=crane", StringComparison.Ordinal)));
        cut.WaitForAssertion(() => Assert.Equal("crane", cut.Find("input[data-testid=filter-search]").GetAttribute("value")));

        cut.Find("input[data-testid=filter-search]").Input("pump");
        cut.Find("button[data-testid=filter-apply]").Click();
        cut.WaitForAssertion(() =>
        {
            var saved = JSInterop.Invocations.Where(i => i.Identifier == "localStorage.setItem" && (string)i.Arguments[0]! == BrowserPrefs.FilterKey("RIO")).ToList();
            var last = JsonSerializer.Deserialize<GridQuery>((string)saved.Last().Arguments[1]!, PfaApiClient.Json)!;
            Assert.Equal("pump", last.Search);
            Assert.Equal(["SILO-4"], last.AreaSilo);
        });
    }

    [Fact]
    public void Portfolio_manager_can_commit()
    {
        var cut = RenderAs("PortfolioManager", canEdit: true, canCommit: true);
        cut.WaitForElement("[data-testid=drafts-commit]");
    }

    [Fact]
    public void An_api_outage_during_an_inline_edit_keeps_the_typed_value_and_says_so()
    {
        var cut = RenderAs("Editor", canEdit: true, canCommit: false);
        cut.WaitForAssertion(() => Assert.Contains("P-1", cut.Markup, StringComparison.Ordinal));
        _api.RefuseWrites = true;
        cut.Find(".pfa-cell[data-field=forecastEnd]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        cut.Find("input[data-testid=cell-input]").Input("2025-04-01");
        cut.Find("input[data-testid=cell-input]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        cut.WaitForAssertion(() => Assert.Contains("cannot be reached", cut.Find("[data-testid=cell-error]").TextContent));
        Assert.Equal("2025-04-01", cut.Find("input[data-testid=cell-input]").GetAttribute("value"));
        Assert.Contains(_api.Requests, r => r.StartsWith("POST /api/orgs/RIO/drafts ", StringComparison.Ordinal));
    }
}
