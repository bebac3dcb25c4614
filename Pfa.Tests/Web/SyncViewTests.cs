using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Domain;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components.Pages;
using Pfa.Web.Components.Sync;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>Sync banner states, live event folding, and the conflicts page's per-field choices (bUnit, stubbed API).</summary>
public sealed class SyncViewTests : BunitContext
{
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public SyncViewTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static SyncRun Run(long id, string status, DateTimeOffset started, string? error = null) =>
        new(id, "read", "incremental", status, started, status is "completed" or "failed" ? started.AddSeconds(3) : null, status is "completed" or "failed" ? 3200 : null,
            120, 1, 2, 117, 0, 0, error, "schedule");

    private static SyncStatus Status(DateTimeOffset? next, params SyncRun[] history) => new("RIO", 7, 20_000, 0, 0, history, next);

    [Fact]
    public void Banner_shows_the_last_sync_and_the_next_run_and_offers_sync_now_only_when_allowed()
    {
        var status = Status(Now.AddMinutes(10), Run(2, "completed", Now.AddMinutes(-5)), Run(1, "failed", Now.AddMinutes(-20), "PEMS down"));
        var cut = Render<SyncBanner>(p => p.Add(x => x.Status, status).Add(x => x.At, Now).Add(x => x.CanSync, true).Add(x => x.Live, LiveConnection.Connected));

        Assert.Contains("last sync 4 min ago (incremental, completed, 3.2 s)", cut.Find("[data-testid=sync-last]").TextContent);
        Assert.Equal("next run in 10 min", cut.Find("[data-testid=sync-next]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=sync-progress]"));
        Assert.Empty(cut.FindAll("[data-testid=sync-error]")); // an older failure is history, not the current state
        Assert.Equal("connected", cut.Find("[data-testid=live-state]").GetAttribute("data-state"));
        Assert.False(cut.Find("[data-testid=sync-now]").HasAttribute("disabled"));

        var viewer = Render<SyncBanner>(p => p.Add(x => x.Status, status).Add(x => x.At, Now).Add(x => x.CanSync, false));
        Assert.Empty(viewer.FindAll("[data-testid=sync-now]"));
    }

    [Fact]
    public void Banner_shows_a_progress_bar_while_a_sync_runs_and_the_error_of_a_failed_last_run()
    {
        var running = Status(Now, Run(3, "running", Now.AddSeconds(-4)), Run(2, "completed", Now.AddMinutes(-15)));
        var cut = Render<SyncBanner>(p => p.Add(x => x.Status, running).Add(x => x.At, Now).Add(x => x.CanSync, true)
            .Add(x => x.Progress, new SyncProgress(3, "full", 2, 2_000, 8_000)));
        Assert.Equal("Syncing: 2,000 of 8,000 rows (2 pages)", cut.Find("[data-testid=sync-progress-text]").TextContent.Trim());
        Assert.Equal("25", cut.Find("[data-testid=sync-progress] .mud-progress-linear").GetAttribute("aria-valuenow"));
        Assert.True(cut.Find("[data-testid=sync-now]").HasAttribute("disabled"));

        var failed = Status(null, Run(4, "failed", Now.AddMinutes(-2), "PEMS answered 503"));
        var f = Render<SyncBanner>(p => p.Add(x => x.Status, failed).Add(x => x.At, Now));
        Assert.Contains("PEMS answered 503", f.Find("[data-testid=sync-error]").TextContent);
        Assert.Equal("scheduled sync off", f.Find("[data-testid=sync-next]").TextContent.Trim());

        var requested = Status(Now, new SyncRun(5, "read", "manual", "requested", Now, null, null, 0, 0, 0, 0, 0, 0, null, "pm"));
        var r = Render<SyncBanner>(p => p.Add(x => x.Status, requested).Add(x => x.At, Now).Add(x => x.CanSync, true));
        Assert.Equal("sync requested", r.Find("[data-testid=sync-next]").TextContent.Trim());
        Assert.Contains("never synced", r.Find("[data-testid=sync-last]").TextContent);
        Assert.Equal("Requested", r.Find("[data-testid=sync-now]").TextContent.Trim());
    }

    [Fact]
    public void Monthly_chart_aligns_committed_and_draft_months_with_zeros_for_missing_ones()
    {
        var jan = new DateOnly(2027, 1, 1);
        var committed = new[] { new MonthCost(jan.AddMonths(-1), 100, 120, 5), new MonthCost(jan, 200, 210, 0) };
        var drafts = new[] { new MonthCost(jan, 200, 250, 0), new MonthCost(jan.AddMonths(1), 0, 40.5m, 0) };
        var d = Pfa.Web.Components.Plan.MonthlyChartData.Build(committed, drafts, today: new DateOnly(2027, 3, 10));

        Assert.Equal(["Dec 26", "Jan 27", "Feb"], d.Labels);
        // A longer plan names quarters only, a very long one years only.
        Assert.Equal(["Jan 27", "", "", "Apr", "Jan 28"], new[] { 0, 1, 2, 3, 12 }.Select(i =>
            Pfa.Web.Components.Plan.MonthlyChartData.Label(jan.AddMonths(i), i, 30)));
        Assert.Equal(["2027", "", "", "", "2028"], new[] { 0, 1, 2, 3, 12 }.Select(i =>
            Pfa.Web.Components.Plan.MonthlyChartData.Label(jan.AddMonths(i), i, 60)));
        Assert.Equal(["Plan", "Forecast", "Forecast with my drafts", "Actual"], d.Series.Select(s => s.Name));
        Assert.Equal([100d, 200, 0], d.Series[0].Values);
        Assert.Equal([120d, 210, 0], d.Series[1].Values);
        Assert.Equal([0d, 250, 40.5], d.Series[2].Values);
        Assert.Equal([5d, 0, 0], d.Series[3].Values); // all three months are past on 10 March 2027
        Assert.Equal(-1, d.TodayIndex); // March has no cost
        Assert.Equal([0d, 50, 100, 150, 200, 250], d.Ticks);
        Assert.Equal(("$950", "$12.5k", "−$3.4M"), (Pfa.Web.Components.Plan.KpiFormat.Compact(950), Pfa.Web.Components.Plan.KpiFormat.Compact(12_500),
            Pfa.Web.Components.Plan.KpiFormat.Compact(-3_400_000)));
    }

    [Fact]
    public void Monthly_chart_actuals_stop_at_todays_month_and_a_viewer_gets_no_drafts_line()
    {
        var jan = new DateOnly(2027, 1, 1);
        var committed = Enumerable.Range(0, 5).Select(i => new MonthCost(jan.AddMonths(i), 1000, 1000, i < 2 ? 900 : 0)).ToArray();
        var d = Pfa.Web.Components.Plan.MonthlyChartData.Build(committed, committed, today: new DateOnly(2027, 2, 14));
        // Actuals for January and February (today's month), none after: no flat $0 line into the future.
        Assert.Equal([900d, 900, null, null, null], d.Series.Single(s => s.Name == "Actual").Values);
        Assert.Equal(1, d.TodayIndex);
        // Committed forecast and forecast with my drafts are two lines even when equal.
        Assert.Equal(d.Series.Single(s => s.Name == "Forecast").Values, d.Series.Single(s => s.Name == "Forecast with my drafts").Values);

        var viewer = Pfa.Web.Components.Plan.MonthlyChartData.Build(committed, null, today: new DateOnly(2027, 2, 14));
        Assert.Equal(["Plan", "Forecast", "Actual"], viewer.Series.Select(s => s.Name));
        // No dated cost at all: no months, an axis all the same.
        var empty = Pfa.Web.Components.Plan.MonthlyChartData.Build([], [], today: new DateOnly(2027, 2, 14));
        Assert.Empty(empty.Labels);
        Assert.Equal([0d, 1], empty.Ticks);
    }

    [Theory]
    [InlineData(655_400, new[] { 0d, 200_000, 400_000, 600_000, 800_000 })]
    [InlineData(1_000_000, new[] { 0d, 200_000, 400_000, 600_000, 800_000, 1_000_000 })]
    [InlineData(2_300_000, new[] { 0d, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000 })]
    [InlineData(11_000, new[] { 0d, 2_500, 5_000, 7_500, 10_000, 12_500 })]
    [InlineData(0, new[] { 0d, 1 })]
    public void Monthly_chart_axis_ticks_are_round(double max, double[] expected)
    {
        var ticks = Pfa.Web.Components.Plan.MonthlyChartData.RoundTicks(max);
        Assert.Equal(expected, ticks);
        Assert.True(ticks[^1] >= max);
    }

    private static LiveEvent E(string type, string payload) => new(type, "RIO", Now, JsonNode.Parse(payload)!.AsObject());

    [Fact]
    public void Live_events_fold_into_progress_and_say_when_to_reload_the_status()
    {
        var (p, reload) = SyncMonitor.Apply(null, E(PfaEvents.SyncStarted, """{"syncId": 9, "kind": "full"}"""));
        Assert.Equal((new SyncProgress(9, "full", 0, 0, null), true), (p, reload));
        (p, reload) = SyncMonitor.Apply(p, E(PfaEvents.SyncProgress, """{"syncId": 9, "kind": "full", "pages": 3, "fetched": 300, "total": 1200}"""));
        Assert.Equal((new SyncProgress(9, "full", 3, 300, 1200), false), (p, reload));
        Assert.Equal(25, p!.Percent);
        Assert.Null((p with { Total = null }).Percent);
        (p, reload) = SyncMonitor.Apply(p, E(PfaEvents.DraftsSaved, """{"user": "x"}"""));
        Assert.Equal((new SyncProgress(9, "full", 3, 300, 1200), false), (p, reload));
        (p, reload) = SyncMonitor.Apply(p, E(PfaEvents.SyncFinished, """{"syncId": 9, "outcome": "Completed"}"""));
        Assert.Equal((null, true), (p, reload));
        Assert.True(SyncMonitor.Apply(null, E(PfaEvents.WriteBackState, """{"pfaId": "A", "state": "conflict"}""")).Reload);
    }

    [Fact]
    public void Event_stream_items_parse_and_reconnects_back_off_to_thirty_seconds()
    {
        var e = PfaEventStream.Parse(PfaEvents.SyncProgress, """{"type":"sync-progress","org":"RIO","at":"2027-03-01T12:00:00Z","payload":{"fetched":5}}""")!;
        Assert.Equal((PfaEvents.SyncProgress, "RIO", 5), (e.Type, e.Org, e.Payload!["fetched"]!.GetValue<int>()));
        Assert.Equal(PfaEvents.Connected, PfaEventStream.Parse(PfaEvents.Connected, """{"org":"RIO","at":"2027-03-01T12:00:00Z"}""")!.Type);
        Assert.Null(PfaEventStream.Parse("x", "not json"));
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(1, 7).Select(a => LiveEvents.Backoff(a).TotalSeconds));
    }

    private static ConflictItem Conflict() => new("P-7", ["monthlyRate", "forecastEnd"],
        JsonNode.Parse("""{"monthlyRate": 1200, "forecastEnd": "2027-09-30", "dor": "OWN"}""")!.AsObject(),
        JsonNode.Parse("""{"monthlyRate": 1000, "forecastEnd": "2027-08-31", "dor": "PROJECT"}""")!.AsObject(),
        JsonNode.Parse("""{"monthlyRate": 1100, "forecastEnd": "2027-10-31", "dor": "PROJECT"}""")!.AsObject());

    [Fact]
    public void Per_field_choices_make_keep_mine_take_pems_or_a_merge_and_nothing_until_every_field_is_chosen()
    {
        var c = Conflict();
        Assert.Null(ConflictChoices.Request(c, new Dictionary<string, ConflictSide> { ["monthlyRate"] = ConflictSide.Mine }));
        Assert.Equal(new ResolveConflictCommand("KeepMine", null), ConflictChoices.Request(c,
            new Dictionary<string, ConflictSide> { ["monthlyRate"] = ConflictSide.Mine, ["forecastEnd"] = ConflictSide.Mine }));
        Assert.Equal(new ResolveConflictCommand("TakePems", null), ConflictChoices.Request(c,
            new Dictionary<string, ConflictSide> { ["monthlyRate"] = ConflictSide.Pems, ["forecastEnd"] = ConflictSide.Pems }));
        var merge = ConflictChoices.Request(c, new Dictionary<string, ConflictSide> { ["monthlyRate"] = ConflictSide.Pems, ["forecastEnd"] = ConflictSide.Mine })!;
        Assert.Equal("Merge", merge.Strategy);
        Assert.Equal(["forecastEnd"], merge.KeepMine!);
        Assert.Equal(("1,200", "—", "yes"), (ConflictChoices.Display(JsonValue.Create(1200m)), ConflictChoices.Display(null), ConflictChoices.Display(JsonValue.Create(true))));
    }

    private sealed class ConflictApi : HttpMessageHandler
    {
        public List<(string Path, string Body)> Posts { get; } = [];
        public bool Resolved { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            object body;
            if (request.Method == HttpMethod.Post)
            {
                var sent = await request.Content!.ReadAsStringAsync(ct);
                lock (Posts) Posts.Add((request.RequestUri!.AbsolutePath, sent));
                Resolved = true;
                body = new ResolveConflictResult("P-7", "requeued");
            }
            else body = Resolved ? Array.Empty<ConflictItem>() : new[] { Conflict() };
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(body, PfaApiClient.Json), Encoding.UTF8, "application/json"),
            };
        }
    }

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    [Fact]
    public void Conflicts_page_shows_mine_pems_and_base_side_by_side_and_resolves_with_the_chosen_fields()
    {
        var api = new ConflictApi();
        var user = PfaClaims.Create(new MeResult(Guid.NewGuid(), "pm", "PM", null, [new Membership("RIO", "Rio", "PortfolioManager", true, true)]),
            new LoginResult("t", "Bearer", DateTimeOffset.UtcNow.AddHours(1)));
        var auth = new StaticAuth(user);
        Services.AddSingleton<AuthenticationStateProvider>(auth);
        Services.AddScoped<OrgSession>();
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(api) { BaseAddress = new Uri("http://api") }, sp.GetRequiredService<AuthenticationStateProvider>()));
        Services.AddScoped(sp => new LiveEvents(new PfaEventStream(new HttpClient(api)), sp.GetRequiredService<PfaApiClient>(), NullLogger<LiveEvents>.Instance));
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        var cut = Render<Conflicts>(p => p.AddCascadingValue(auth.GetAuthenticationStateAsync()));

        cut.WaitForElement("[data-testid=conflict]");
        var rate = cut.Find("[data-field=monthlyRate]");
        Assert.Equal(("1,200", "1,100"), (rate.QuerySelector("[data-testid=conflict-mine]")!.TextContent, rate.QuerySelector("[data-testid=conflict-pems]")!.TextContent));
        Assert.Contains("1,000", rate.TextContent); // the base
        // Fields are named as in the grid's header, never by their API keys.
        Assert.Equal("Rate / month", rate.QuerySelector("td")!.TextContent);
        Assert.Equal("Forecast end", cut.Find("[data-field=forecastEnd] td").TextContent);
        Assert.DoesNotContain("monthlyRate", cut.Find("[data-testid=conflict]").TextContent);
        Assert.Contains("no conflict: kept", cut.Markup); // dor changed only by me
        Assert.True(cut.Find("[data-testid=conflict-apply]").HasAttribute("disabled"));

        cut.Find("[data-field=monthlyRate] [data-testid=choose-pems]").Click();
        cut.Find("[data-field=forecastEnd] [data-testid=choose-mine]").Click();
        Assert.Contains("conflict-chosen", cut.Find("[data-field=monthlyRate] [data-testid=conflict-pems]").ClassName);
        cut.Find("[data-testid=conflict-apply]").Click();

        cut.WaitForElement("[data-testid=conflicts-empty]");
        var (path, body) = Assert.Single(api.Posts);
        Assert.Equal("/api/orgs/RIO/conflicts/P-7/resolve", path);
        var json = JsonNode.Parse(body)!;
        Assert.Equal("Merge", json["strategy"]!.GetValue<string>());
        Assert.Equal(["forecastEnd"], json["keepMine"]!.AsArray().Select(n => n!.GetValue<string>()));
    }
}
