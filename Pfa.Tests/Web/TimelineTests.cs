using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Pfa.Domain;
using Pfa.Web.Api;
using Pfa.Web.Auth;
using Pfa.Web.Components.Timeline;
using Microsoft.JSInterop;
using Pfa.Web.State;

namespace Pfa.Tests.Web;

/// <summary>The timeline (Gantt): axis and drag arithmetic, grouping totals, bars and permissions in bUnit, drops saved as drafts.</summary>
public sealed class TimelineTests : BunitContext
{
    private static readonly DateOnly Jan1 = new(2027, 1, 1);

    public TimelineTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static PfaRow Line(string id, string area, string cls, DateOnly start, DateOnly end, decimal rate = 3044m, bool discontinued = false) =>
        new(id, "pristine", [], new PfaRecord
        {
            PfaId = id, Description = "Crane " + id, AreaSilo = area, Class = cls, Source = PfaSource.Rental, MonthlyRate = rate,
            OriginalStart = start, OriginalEnd = end, ForecastStart = start, ForecastEnd = end, IsDiscontinued = discontinued,
        });

    private static TimelineBounds Bounds(DateOnly min, DateOnly max) => new(min, max, min, max, null, null, true, false);

    // ---- axis arithmetic -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(TimelineScale.Day, 24)]
    [InlineData(TimelineScale.Week, 7)]
    [InlineData(TimelineScale.Month, 2)]
    [InlineData(TimelineScale.Year, 0.35)]
    public void Dates_map_to_whole_day_offsets_at_each_scale(TimelineScale scale, double pxPerDay)
    {
        var axis = TimelineAxis.For(Bounds(new DateOnly(2027, 1, 15), new DateOnly(2027, 6, 30)), scale)!;
        Assert.Equal(Jan1, axis.Start); // the 1st of the first month (1 January at year scale)
        Assert.Equal(pxPerDay, axis.PxPerDay);
        Assert.Equal(0, axis.X(Jan1));
        Assert.Equal(31 * pxPerDay, axis.X(new DateOnly(2027, 2, 1)), 6);
        // A window is end-exclusive, like the cost rule: 1 Feb → 1 Mar is 28 days wide.
        var bar = axis.Bar(new DateOnly(2027, 2, 1), new DateOnly(2027, 3, 1))!.Value;
        Assert.Equal(31 * pxPerDay, bar.Left, 6);
        Assert.Equal(Math.Max(TimelineAxis.MinBarWidth, 28 * pxPerDay), bar.Width, 6);
    }

    [Fact]
    public void The_axis_is_padded_to_months_or_years_and_empty_bounds_give_none()
    {
        var month = TimelineAxis.For(Bounds(new DateOnly(2027, 3, 20), new DateOnly(2027, 8, 10)), TimelineScale.Month)!;
        Assert.Equal((new DateOnly(2027, 3, 1), new DateOnly(2027, 10, 1)), (month.Start, month.End));
        var year = TimelineAxis.For(Bounds(new DateOnly(2027, 3, 20), new DateOnly(2028, 8, 10)), TimelineScale.Year)!;
        Assert.Equal((new DateOnly(2027, 1, 1), new DateOnly(2030, 1, 1)), (year.Start, year.End));
        // Actual windows count too (a line can have started before its plan).
        var withActual = TimelineAxis.For(new TimelineBounds(new DateOnly(2027, 3, 1), new DateOnly(2027, 4, 1), null, null,
            new DateOnly(2026, 11, 5), null, true, false), TimelineScale.Day)!;
        Assert.Equal(new DateOnly(2026, 11, 1), withActual.Start);
        Assert.Null(TimelineAxis.For(new TimelineBounds(null, null, null, null, null, null, true, false), TimelineScale.Month));
    }

    [Fact]
    public void Bars_are_clipped_to_the_axis_kept_grabbable_and_skipped_without_dates()
    {
        var axis = new TimelineAxis(Jan1, new DateOnly(2027, 2, 1), TimelineScale.Day);
        Assert.Equal(new BarBox(0, 5 * 24), axis.Bar(new DateOnly(2026, 12, 20), new DateOnly(2027, 1, 6)));
        Assert.Equal(new BarBox(30 * 24, 24), axis.Bar(new DateOnly(2027, 1, 31), new DateOnly(2027, 3, 1)));
        Assert.Equal(TimelineAxis.MinBarWidth, axis.Bar(new DateOnly(2027, 1, 10), new DateOnly(2027, 1, 10))!.Value.Width);
        Assert.Null(axis.Bar(null, new DateOnly(2027, 1, 10)));
        Assert.Null(axis.Bar(new DateOnly(2027, 3, 1), new DateOnly(2027, 4, 1)));
    }

    [Theory]
    [InlineData(TimelineScale.Day, 72, 3)]
    [InlineData(TimelineScale.Day, 35, 1)]
    [InlineData(TimelineScale.Day, 36, 2)]   // half a day rounds away from zero
    [InlineData(TimelineScale.Day, -36, -2)]
    [InlineData(TimelineScale.Day, 11, 0)]
    [InlineData(TimelineScale.Week, 70, 10)]
    [InlineData(TimelineScale.Month, -61, -31)]
    [InlineData(TimelineScale.Year, 35, 100)]
    public void A_drag_distance_rounds_to_whole_days(TimelineScale scale, double dx, int days) =>
        Assert.Equal(days, new TimelineAxis(Jan1, new DateOnly(2030, 1, 1), scale).DaysFromPixels(dx));

    [Fact]
    public void Ticks_fall_on_days_mondays_months_and_quarters()
    {
        var end = new DateOnly(2027, 3, 1);
        var week = new TimelineAxis(Jan1, end, TimelineScale.Week); // 1 Jan 2027 is a Friday
        Assert.Equal(new AxisTick(3 * 7, "4 Jan"), week.MinorTicks().First());
        Assert.All(week.MinorTicks(), t => Assert.Equal(0, t.X / 7 % 7 - 3, 6));
        Assert.Equal(["Jan 2027", "Feb 2027"], week.MajorTicks().Select(t => t.Label));
        Assert.Equal(59, new TimelineAxis(Jan1, end, TimelineScale.Day).MinorTicks().Count());
        Assert.Equal(["Jan", "Feb"], new TimelineAxis(Jan1, end, TimelineScale.Month).MinorTicks().Select(t => t.Label));
        var year = new TimelineAxis(Jan1, new DateOnly(2029, 1, 1), TimelineScale.Year);
        Assert.Equal(["Q1", "Q2", "Q3", "Q4", "Q1", "Q2", "Q3", "Q4"], year.MinorTicks().Select(t => t.Label));
        Assert.Equal(["2027", "2028"], year.MajorTicks().Select(t => t.Label));
        Assert.Equal(365 * 0.35, year.MajorTicks().Last().X, 6);
        // An axis opening mid-year names that year at its left edge.
        var month = new TimelineAxis(new DateOnly(2027, 2, 1), new DateOnly(2028, 3, 1), TimelineScale.Month);
        Assert.Equal([new AxisTick(0, "2027"), new AxisTick(334 * 2, "2028")], month.MajorTicks());
    }

    // ---- drags and grouping ----------------------------------------------------------------------------------------

    [Fact]
    public void A_drag_shifts_both_dates_or_moves_one_edge()
    {
        var (s, e) = (new DateOnly(2027, 2, 1), new DateOnly(2027, 3, 1));
        Assert.Equal((s.AddDays(5), e.AddDays(5)), TimelineLayout.Apply(DragMode.Shift, s, e, 5));
        Assert.Equal((s.AddDays(-3), e), TimelineLayout.Apply(DragMode.Start, s, e, -3));
        Assert.Equal((s, e.AddDays(10)), TimelineLayout.Apply(DragMode.End, s, e, 10));
    }

    [Fact]
    public void A_moved_line_is_a_draft_against_pems_values_and_moving_back_clears_it()
    {
        var line = Line("7", "N", "C", new DateOnly(2027, 2, 1), new DateOnly(2027, 3, 1));
        var moved = TimelineLayout.Moved(line, new DateOnly(2027, 2, 4), new DateOnly(2027, 3, 4));
        Assert.Equal(["forecastStart", "forecastEnd"], moved.ChangedFields.Order().Reverse());
        Assert.Equal("2027-02-01", moved.BaseValues!["forecastStart"]!.GetValue<string>());
        Assert.Equal(new DateOnly(2027, 3, 4), moved.Record.ForecastEnd);

        // Moving the end of the draft again keeps PEMS's value as its base; moving the start back makes it unchanged.
        var again = TimelineLayout.Moved(moved, new DateOnly(2027, 2, 1), new DateOnly(2027, 3, 9));
        Assert.Equal(["forecastEnd"], again.ChangedFields);
        Assert.Equal("2027-03-01", again.BaseValues!["forecastEnd"]!.GetValue<string>());
        Assert.Null(again.BaseValues["forecastStart"]);
        var back = TimelineLayout.Moved(again, new DateOnly(2027, 2, 1), new DateOnly(2027, 3, 1));
        Assert.Empty(back.ChangedFields);
        Assert.Null(back.BaseValues);
    }

    private static readonly PfaRow[] Sorted =
    [
        // Sorted by class, as the list is asked for when grouping by class.
        Line("1", "N", "CRANE", new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31)),          // 30 d × 3044 / 30.44 = 3,000
        Line("2", "N", "CRANE", new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 11)),          // 1,000
        Line("3", "N", "CRANE", new DateOnly(2027, 1, 1), new DateOnly(2027, 12, 31), discontinued: true), // shown, not counted
        Line("4", "N", "LIGHT", new DateOnly(2027, 2, 1), new DateOnly(2027, 2, 6)),           // 500
    ];

    [Fact]
    public void Group_rows_head_each_run_with_totals_of_the_loaded_lines()
    {
        var rows = TimelineLayout.Rows(Sorted, TimelineGrouping.Class, exhausted: false);
        Assert.Equal(["G:CRANE", "L:1", "L:2", "L:3", "G:LIGHT", "L:4", "More"], rows.Select(Describe));
        var crane = (GroupRow)rows[0];
        Assert.Equal(new GroupTotals(2, 4000m, Complete: true, FromApi: false), crane.Totals);
        // More pages may still hold LIGHT lines: its totals are "so far".
        Assert.Equal(new GroupTotals(1, 500m, Complete: false, FromApi: false), ((GroupRow)rows[4]).Totals);

        var done = TimelineLayout.Rows(Sorted, TimelineGrouping.Class, exhausted: true);
        Assert.True(((GroupRow)done[4]).Totals.Complete);
        Assert.IsNotType<MoreRow>(done[^1]);

        var byArea = TimelineLayout.Rows(Sorted, TimelineGrouping.AreaSilo, exhausted: true);
        Assert.Equal(new GroupTotals(3, 4500m, true, false), Assert.IsType<GroupRow>(Assert.Single(byArea, r => r is GroupRow)).Totals);
        Assert.Equal("(none)", new GroupRow("", new GroupTotals(0, 0, true, false)).Label);
    }

    [Fact]
    public void Category_groups_are_labelled_with_the_most_common_pems_description()
    {
        PfaRow Cat(string id, string code, string? description) => Line(id, "N", "CRANE", new DateOnly(2027, 1, 1), new DateOnly(2027, 1, 31)) is var l
            ? l with { Record = l.Record with { Category = code, CategoryDescription = description } } : l;
        PfaRow[] lines = [Cat("1", "08850", "TANK FRAC WATER TRAILER"), Cat("2", "08850", "TANK FRAC"), Cat("3", "08850", "TANK FRAC WATER TRAILER"),
            Cat("4", "09000", null)];
        var groups = TimelineLayout.Rows(lines, TimelineGrouping.Category, exhausted: true).OfType<GroupRow>().ToList();
        Assert.Equal(["08850 — TANK FRAC WATER TRAILER", "09000"], groups.Select(g => g.Label));
        Assert.Equal("08850", groups[0].Group); // the group key (and any filter it feeds) stays the code
        // Other groupings carry no category description.
        Assert.Equal("CRANE", TimelineLayout.Rows(lines, TimelineGrouping.Class, exhausted: true).OfType<GroupRow>().Single().Label);
    }

    [Fact]
    public void Group_totals_come_from_the_api_roll_up_when_given()
    {
        var rollups = new Dictionary<string, KpiFigures> { ["CRANE"] = new(812, 0, 1_234_567m, 0, 0, null) };
        var rows = TimelineLayout.Rows(Sorted, TimelineGrouping.Class, exhausted: false, rollups);
        Assert.Equal(new GroupTotals(812, 1_234_567m, true, true), ((GroupRow)rows[0]).Totals);
        Assert.Equal(new GroupTotals(0, 0, true, true), ((GroupRow)rows[4]).Totals);
    }

    private static string Describe(TimelineRow r) => r switch
    {
        GroupRow g => "G:" + g.Group,
        LineRow l => "L:" + l.Row.PfaId,
        _ => "More",
    };

    // ---- the chart -------------------------------------------------------------------------------------------------

    private IRenderedComponent<TimelineChart> RenderChart(bool canEdit, TimelineScale scale, Action<BarDrop>? onDrop = null,
        IReadOnlyDictionary<string, string>? errors = null)
    {
        var axis = new TimelineAxis(Jan1, new DateOnly(2028, 1, 1), scale);
        var draft = TimelineLayout.Moved(Sorted[1], new DateOnly(2027, 1, 3), new DateOnly(2027, 1, 13));
        PfaRow[] lines = [Sorted[0], draft, Sorted[2], Sorted[3]];
        return Render<TimelineChart>(p => p
            .Add(x => x.Axis, axis)
            .Add(x => x.Rows, TimelineLayout.Rows(lines, TimelineGrouping.Class, exhausted: true))
            .Add(x => x.CanEdit, canEdit)
            .Add(x => x.Errors, errors ?? new Dictionary<string, string>())
            .Add(x => x.OnDrop, d => onDrop?.Invoke(d)));
    }

    private static string Style(IRenderedComponent<TimelineChart> cut, string pfa, string bar) =>
        cut.Find($"[data-testid=timeline-line][data-pfa='{pfa}'] [data-testid={bar}]").GetAttribute("style")!;

    [Theory]
    [InlineData(TimelineScale.Day, "left: 744px; width: 120px")]    // 1 Feb is day 31; five days
    [InlineData(TimelineScale.Week, "left: 217px; width: 35px")]
    [InlineData(TimelineScale.Month, "left: 62px; width: 10px")]
    [InlineData(TimelineScale.Year, "left: 10.85px; width: 3px")]   // 1.75 px, widened to stay grabbable
    public void Bars_render_at_the_offsets_of_the_scale(TimelineScale scale, string expected)
    {
        var cut = RenderChart(canEdit: true, scale);
        Assert.Equal(expected, Style(cut, "4", "bar-forecast"));
        Assert.Equal(expected, Style(cut, "4", "bar-plan"));
        Assert.Empty(cut.FindAll("[data-testid=bar-actual]"));
    }

    [Fact]
    public void Group_headers_show_totals_and_a_draft_forecast_is_marked_with_the_pems_window()
    {
        var cut = RenderChart(canEdit: true, TimelineScale.Day);
        var groups = cut.FindAll("[data-testid=timeline-group]");
        Assert.Equal(["CRANE", "LIGHT"], groups.Select(g => g.GetAttribute("data-group")));
        // Line 2 moved by two days keeps its length: CRANE still 3,000 + 1,000 (line 3 discontinued, not counted).
        Assert.Equal("2 lines · forecast $4,000", groups[0].QuerySelector("[data-testid=timeline-group-totals]")!.TextContent);
        Assert.Equal("1 line · forecast $500", groups[1].QuerySelector("[data-testid=timeline-group-totals]")!.TextContent);

        var draft = cut.Find("[data-pfa='2'] [data-testid=bar-forecast]");
        Assert.Contains("tl-draft", draft.ClassName);
        Assert.Equal("left: 48px; width: 240px", draft.GetAttribute("style"));
        Assert.Contains("PEMS: 2027-01-01 → 2027-01-11", draft.GetAttribute("title"));
        Assert.Equal("left: 0px; width: 240px", Style(cut, "2", "bar-was"));
        Assert.DoesNotContain("tl-draft", cut.Find("[data-pfa='1'] [data-testid=bar-forecast]").ClassName);
        Assert.Empty(cut.FindAll("[data-pfa='1'] [data-testid=bar-was]"));
    }

    [Fact]
    public void A_viewer_gets_no_drag_handles_and_no_drag_module()
    {
        var cut = RenderChart(canEdit: false, TimelineScale.Month);
        Assert.Equal(4, cut.FindAll("[data-testid=bar-forecast]").Count);
        Assert.Empty(cut.FindAll("[data-drag]"));
        Assert.Empty(cut.FindAll("[data-testid=bar-handle-start]"));
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "attach");

        var editor = RenderChart(canEdit: true, TimelineScale.Month);
        Assert.Equal(4, editor.FindAll("[data-testid=bar-handle-start]").Count);
        Assert.Equal(4, editor.FindAll("[data-testid=bar-forecast][data-drag=shift]").Count);
    }

    [Fact]
    public async Task A_chart_left_before_its_script_loads_neither_scrolls_nor_attaches_and_releases_the_module()
    {
        // The timeline's first render imports its script; a click elsewhere can dispose the chart before the import returns.
        // The calls that followed then reached a removed element and the circuit died (the plan page showed its error bar).
        var js = new DelayedImportRuntime();
        Services.AddSingleton<IJSRuntime>(js);
        var cut = Render<TimelineChart>(p => p
            .Add(x => x.Axis, new TimelineAxis(Jan1, new DateOnly(2028, 1, 1), TimelineScale.Day))
            .Add(x => x.Rows, TimelineLayout.Rows(Sorted, TimelineGrouping.Class, exhausted: true))
            .Add(x => x.CanEdit, true)
            .Add(x => x.ScrollTo, Jan1)
            .Add(x => x.Errors, new Dictionary<string, string>()));

        await DisposeComponentsAsync();
        var module = new RecordingModule();
        await cut.InvokeAsync(() => js.Import.SetResult(module));

        Assert.Empty(module.Calls);
        Assert.True(module.Disposed);
    }

    /// <summary>A browser whose module import returns when the test says (bUnit's own interop answers imports at once).</summary>
    private sealed class DelayedImportRuntime : IJSRuntime
    {
        public TaskCompletionSource<IJSObjectReference> Import { get; } = new();

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            identifier == "import" ? (TValue)await Import.Task : default!;
    }

    private sealed class RecordingModule : IJSObjectReference
    {
        public List<string> Calls { get; } = [];
        public bool Disposed { get; private set; }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
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

    [Fact]
    public async Task A_reported_pixel_drop_becomes_whole_days_for_the_line_and_a_viewer_drop_is_ignored()
    {
        BarDrop? dropped = null;
        var cut = RenderChart(canEdit: true, TimelineScale.Day, d => dropped = d);
        await cut.InvokeAsync(() => cut.Instance.OnBarDropped("4", "end", 60));
        Assert.Equal(("4", DragMode.End, 3), (dropped!.Row.PfaId, dropped.Mode, dropped.Days));
        dropped = null;
        await cut.InvokeAsync(() => cut.Instance.OnBarDropped("4", "shift", 8)); // a third of a day: no change
        Assert.Null(dropped);

        var viewer = RenderChart(canEdit: false, TimelineScale.Day, d => dropped = d);
        await viewer.InvokeAsync(() => viewer.Instance.OnBarDropped("4", "shift", 96));
        Assert.Null(dropped);
    }

    [Fact]
    public void A_line_whose_drop_was_not_saved_shows_the_message()
    {
        var cut = RenderChart(canEdit: true, TimelineScale.Day, errors: new Dictionary<string, string> { ["4"] = "Forecast end must be on or after forecast start." });
        Assert.Contains("tl-error", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").ClassName);
        Assert.Contains("not saved: Forecast end must be on or after forecast start.", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("title"));
        Assert.Single(cut.FindAll("[data-testid=timeline-line-error]"));
    }

    // ---- the board against a stubbed API ---------------------------------------------------------------------------

    private sealed class StubApi : HttpMessageHandler
    {
        private static readonly KpiFigures Zero = new(0, 0, 0, 0, 0, null);
        public List<(string Line, string? Body)> Requests { get; } = [];
        public bool RefuseWrites { get; set; }
        public string? RejectWith { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var path = request.RequestUri!.AbsolutePath;
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(ct);
            lock (Requests) Requests.Add(($"{request.Method} {request.RequestUri.PathAndQuery}", body));
            if (RefuseWrites && request.Method == HttpMethod.Post) throw new HttpRequestException("Connection refused");
            object answer = path switch
            {
                _ when path.EndsWith("/timeline", StringComparison.Ordinal) => Bounds(Jan1, new DateOnly(2027, 12, 31)),
                _ when path.EndsWith("/drafts/history", StringComparison.Ordinal) => DraftHistory.Empty,
                _ when path.EndsWith("/categories", StringComparison.Ordinal) => Array.Empty<CategoryLabel>(),
                _ when path.EndsWith("/drafts/writeback", StringComparison.Ordinal) => Array.Empty<WriteBackLine>(),
                _ when path.EndsWith("/kpis", StringComparison.Ordinal) => new KpiResult(true, "areaSilo", Zero, Zero, Zero,
                    [new KpiGroup("N", new KpiFigures(3, 0, 4500, 0, 0, null), Zero, Zero)], 1, false),
                _ when path.EndsWith("/drafts", StringComparison.Ordinal) => RejectWith is null
                    ? new SaveResult(1, 0, [])
                    : new SaveResult(0, 0, [new SaveItemError(0, "4", new Dictionary<string, string[]> { ["forecastEnd"] = [RejectWith] })]),
                _ => new PfaPage(Sorted, null, Sorted.Length, false),
            };
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(answer, PfaApiClient.Json), Encoding.UTF8, "application/json"),
            };
        }
    }

    private readonly StubApi _api = new();

    private sealed class StaticAuth(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    private IRenderedComponent<TimelineBoard> RenderBoard(string role, bool canEdit, bool canCommit = false)
    {
        var user = PfaClaims.Create(new MeResult(Guid.NewGuid(), "u", "U", null, [new Membership("RIO", "Rio", role, canEdit, canCommit)]),
            new LoginResult("secret-token", "Bearer", DateTimeOffset.UtcNow.AddHours(1)));
        var auth = new StaticAuth(user);
        Services.AddSingleton<AuthenticationStateProvider>(auth);
        Services.AddScoped<OrgSession>();
        Services.AddScoped<BrowserPrefs>();
        Services.AddScoped(sp => new PfaApiClient(new HttpClient(_api) { BaseAddress = new Uri("http://api") }, sp.GetRequiredService<AuthenticationStateProvider>()));
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        var cut = Render<TimelineBoard>(p => p.AddCascadingValue(auth.GetAuthenticationStateAsync()));
        cut.WaitForElement("[data-testid=timeline-line][data-pfa='4']");
        return cut;
    }

    [Fact]
    public void The_board_lists_the_lines_sorted_by_the_grouping_with_the_roll_up_totals_when_unfiltered()
    {
        var cut = RenderBoard("Viewer", canEdit: false);
        Assert.Contains(_api.Requests, r => r.Line.Contains("/pfa?", StringComparison.Ordinal) && r.Line.Contains("sort=areaSilo", StringComparison.Ordinal)
                                           && r.Line.Contains("limit=500", StringComparison.Ordinal));
        Assert.Contains(_api.Requests, r => r.Line.Contains("/kpis?includeDrafts=true&groupBy=areaSilo", StringComparison.Ordinal));
        Assert.Equal("3 lines · forecast $4,500", cut.Find("[data-testid=timeline-group-totals]").TextContent);
        Assert.Equal("4 lines", cut.Find("[data-testid=timeline-total]").TextContent);
        cut.Find("[data-testid=read-only]");
        Assert.Empty(cut.FindAll("[data-drag]"));
    }

    [Fact]
    public async Task A_drop_saves_the_shifted_forecast_as_a_draft_and_an_outage_keeps_the_bar_where_it_was_dropped()
    {
        var cut = RenderBoard("Editor", canEdit: true);
        var chart = cut.FindComponent<TimelineChart>();
        await cut.InvokeAsync(() => chart.Instance.OnBarDropped("4", "shift", 3 * 2)); // month scale: 2 px a day
        var save = Assert.Single(_api.Requests, r => r.Line.StartsWith("POST /api/orgs/RIO/drafts", StringComparison.Ordinal));
        var item = JsonNode.Parse(save.Body!)!["items"]![0]!;
        Assert.Equal("4", item["pfaId"]!.GetValue<string>());
        Assert.Equal("2027-02-04", item["changes"]!["forecastStart"]!.GetValue<string>());
        Assert.Equal("2027-02-09", item["changes"]!["forecastEnd"]!.GetValue<string>());
        cut.WaitForAssertion(() => Assert.Contains("tl-draft", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").ClassName));

        // The API refuses a start after the end: its message is shown, the bar stays where it was dropped.
        _api.RejectWith = "Forecast end must be on or after forecast start.";
        await cut.InvokeAsync(() => chart.Instance.OnBarDropped("4", "start", 20 * 2));
        cut.WaitForAssertion(() => Assert.Contains("not saved: Forecast end must be on or after forecast start.",
            cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("title")));
        Assert.Equal("left: 108px; width: 3px", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("style"));
        // The next drop (the end) sends the refused start along: changes are taken against what the API holds.
        await cut.InvokeAsync(() => chart.Instance.OnBarDropped("4", "end", 20 * 2));
        var resend = JsonNode.Parse(_api.Requests.Last(r => r.Line.StartsWith("POST", StringComparison.Ordinal)).Body!)!["items"]![0]!["changes"]!;
        Assert.Equal(("2027-02-24", "2027-03-01"), (resend["forecastStart"]!.GetValue<string>(), resend["forecastEnd"]!.GetValue<string>()));
        // "Back" returns to what was saved (the shifted window).
        cut.Find("[data-pfa='4'] [data-testid=timeline-revert]").Click();
        cut.WaitForAssertion(() => Assert.Equal("left: 68px; width: 10px", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("style")));

        // Outage: the service message, the bar kept at the drop.
        _api.RejectWith = null;
        _api.RefuseWrites = true;
        await cut.InvokeAsync(() => chart.Instance.OnBarDropped("4", "end", 5 * 2));
        cut.WaitForAssertion(() => Assert.Contains("cannot be reached", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("title")));
        Assert.Equal("left: 68px; width: 20px", cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("style"));
    }

    [Fact]
    public async Task A_selected_bar_moves_a_day_with_an_arrow_key_and_a_week_with_shift_saved_as_a_draft_the_tray_counts()
    {
        var cut = RenderBoard("PortfolioManager", canEdit: true, canCommit: true);
        // The plan page's tray is on the timeline too, with commit for a role that may commit.
        cut.WaitForElement("[data-testid=drafts-tray]");
        cut.Find("[data-testid=drafts-commit]");
        var trayLoads = _api.Requests.Count(r => r.Line.Contains("changedOnly=true", StringComparison.Ordinal));
        var bar = cut.Find("[data-pfa='4'] [data-testid=bar-forecast]");
        Assert.Equal("0", bar.GetAttribute("tabindex"));

        await bar.KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowRight", ShiftKey = true });
        var save = Assert.Single(_api.Requests, r => r.Line.StartsWith("POST /api/orgs/RIO/drafts", StringComparison.Ordinal));
        var changes = JsonNode.Parse(save.Body!)!["items"]![0]!["changes"]!;
        Assert.Equal(("2027-02-08", "2027-02-13"), (changes["forecastStart"]!.GetValue<string>(), changes["forecastEnd"]!.GetValue<string>()));
        // The tray reloads after the save (its count and undo follow the move).
        cut.WaitForAssertion(() => Assert.True(_api.Requests.Count(r => r.Line.Contains("changedOnly=true", StringComparison.Ordinal)) > trayLoads));

        await cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowLeft" });
        var back = JsonNode.Parse(_api.Requests.Last(r => r.Line.StartsWith("POST", StringComparison.Ordinal)).Body!)!["items"]![0]!["changes"]!;
        Assert.Equal(("2027-02-07", "2027-02-12"), (back["forecastStart"]!.GetValue<string>(), back["forecastEnd"]!.GetValue<string>()));

        // Other keys do nothing.
        var posts = _api.Requests.Count(r => r.Line.StartsWith("POST", StringComparison.Ordinal));
        await cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowUp" });
        Assert.Equal(posts, _api.Requests.Count(r => r.Line.StartsWith("POST", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_viewer_gets_no_tray_and_no_focusable_bars()
    {
        var cut = RenderBoard("Viewer", canEdit: false);
        Assert.Empty(cut.FindAll("[data-testid=drafts-tray]"));
        Assert.Null(cut.Find("[data-pfa='4'] [data-testid=bar-forecast]").GetAttribute("tabindex"));
    }
}
