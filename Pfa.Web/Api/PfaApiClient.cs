using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Pfa.Domain;
using Pfa.Web.Auth;

namespace Pfa.Web.Api;

/// <summary>
/// Typed client of Pfa.Api (base address <c>https+http://api</c>, resolved by service discovery).
/// The bearer token comes from the signed-in user's server-side ticket; it never reaches the browser.
/// </summary>
public sealed partial class PfaApiClient(HttpClient http, AuthenticationStateProvider? auth = null, NavigationManager? navigation = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(), new HiddenAmountConverter() } };

    /// <summary>
    /// The API returns money as null for a user without ViewFinancials; the web's records keep decimals, so a hidden figure
    /// reads as 0 here (the pages should hide those columns from /me's canViewFinancials; see docs/architecture.md).
    /// </summary>
    private sealed class HiddenAmountConverter : JsonConverter<decimal>
    {
        public override bool HandleNull => true;
        public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? 0m
            : reader.TokenType == JsonTokenType.String ? decimal.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : reader.GetDecimal();
        public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }

    public Task<LoginResult> LoginAsync(string username, string password, CancellationToken ct = default) =>
        SendAsync<LoginResult>(HttpMethod.Post, "/api/auth/login", new { username, password }, token: null, ct);

    /// <summary>Changes the password with the given token; returns the fresh token (the old one stops working at once).</summary>
    public Task<LoginResult> ChangePasswordAsync(string token, string currentPassword, string newPassword, CancellationToken ct = default) =>
        SendAsync<LoginResult>(HttpMethod.Post, "/api/auth/change-password", new { currentPassword, newPassword }, token, ct);

    public Task<MeResult> MeAsync(string token, CancellationToken ct = default) =>
        SendAsync<MeResult>(HttpMethod.Get, "/api/me", null, token, ct);

    public async Task<PfaPage> ListAsync(string org, GridQuery query, string? cursor, int limit, CancellationToken ct = default) =>
        await SendAsync<PfaPage>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/pfa?{query.ToQueryString(cursor, limit)}", null, await TokenAsync(), ct);

    /// <summary>The KPI roll-up; with <paramref name="filter"/>, of the lines that filter matches (the grid's view).</summary>
    public async Task<KpiResult> KpisAsync(string org, bool includeDrafts, string? groupBy = null, GridQuery? filter = null, CancellationToken ct = default) =>
        await SendAsync<KpiResult>(HttpMethod.Get,
            $"/api/orgs/{Uri.EscapeDataString(org)}/kpis?includeDrafts={(includeDrafts ? "true" : "false")}" + (groupBy is null ? "" : $"&groupBy={Uri.EscapeDataString(groupBy)}")
            + (filter is { ActiveFilterCount: > 0 } ? "&" + filter.ToQueryString(null, 1) : ""),
            null, await TokenAsync(), ct);

    /// <summary>Category codes with their PEMS descriptions (the labels of filters and group headers).</summary>
    public async Task<IReadOnlyList<CategoryLabel>> CategoriesAsync(string org, CancellationToken ct = default) =>
        await SendAsync<IReadOnlyList<CategoryLabel>>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/categories", null, await TokenAsync(), ct);

    public async Task<BulkResult> BulkAsync(string org, BulkCommand command, CancellationToken ct = default) =>
        await SendAsync<BulkResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/bulk", command, await TokenAsync(), ct);

    public async Task<BulkPreview> BulkPreviewAsync(string org, BulkCommand command, CancellationToken ct = default) =>
        await SendAsync<BulkPreview>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/bulk/preview", command, await TokenAsync(), ct);

    public async Task<DiscardResult> DiscardAllAsync(string org, CancellationToken ct = default) =>
        await SendAsync<DiscardResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/discard", new { all = true }, await TokenAsync(), ct);

    public async Task<CommitResult> CommitAsync(string org, CancellationToken ct = default) =>
        await SendAsync<CommitResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/commit", new { }, await TokenAsync(), ct);

    public async Task<DiscardResult> DiscardAsync(string org, IReadOnlyCollection<string> pfaIds, CancellationToken ct = default) =>
        await SendAsync<DiscardResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/discard", new { all = false, pfaIds }, await TokenAsync(), ct);

    public async Task<SaveResult> SaveDraftsAsync(string org, IReadOnlyList<SaveItem> items, CancellationToken ct = default) =>
        await SendAsync<SaveResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts", new { items }, await TokenAsync(), ct);

    public async Task<ReplayResult> UndoAsync(string org, CancellationToken ct = default) =>
        await SendAsync<ReplayResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/undo", new { }, await TokenAsync(), ct);

    public async Task<ReplayResult> RedoAsync(string org, CancellationToken ct = default) =>
        await SendAsync<ReplayResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/redo", new { }, await TokenAsync(), ct);

    public async Task<DraftHistory> HistoryAsync(string org, CancellationToken ct = default) =>
        await SendAsync<DraftHistory>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/history", null, await TokenAsync(), ct);

    public async Task<IReadOnlyList<WriteBackLine>> WriteBackAsync(string org, CancellationToken ct = default) =>
        await SendAsync<List<WriteBackLine>>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/drafts/writeback", null, await TokenAsync(), ct);

    /// <summary>
    /// The API's CSV export of my changed lines, headers read and body not yet: the caller streams it on and disposes it.
    /// Takes the token explicitly because it runs in a plain HTTP request, not in a circuit.
    /// </summary>
    public Task<HttpResponseMessage> OpenForecastExportAsync(string org, string token, CancellationToken ct) =>
        OpenDownloadAsync($"/api/orgs/{Uri.EscapeDataString(org)}/export/forecast.csv", token, ct);

    /// <summary>A download's response with headers read and body not yet: the caller streams it on and disposes it.</summary>
    private async Task<HttpResponseMessage> OpenDownloadAsync(string url, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.IsSuccessStatusCode) return response;
            using (response) throw await ProblemAsync(response, ct);
        }
        catch (HttpRequestException e)
        {
            throw new PfaApiException(0, "The PFA service cannot be reached.", inner: e);
        }
    }

    public async Task<AuditPage> AuditAsync(AuditFilter filter, string? cursor, int limit, CancellationToken ct = default) =>
        await SendAsync<AuditPage>(HttpMethod.Get, $"/api/audit?{filter.ToQueryString(cursor, limit)}", null, await TokenAsync(), ct);

    /// <summary>The API's audit CSV, headers read and body not yet (streamed on by the web app's /export/audit.csv).</summary>
    public Task<HttpResponseMessage> OpenAuditExportAsync(string query, string token, CancellationToken ct) =>
        OpenDownloadAsync($"/api/audit.csv?{query}", token, ct);

    /// <summary>My changed lines in <paramref name="org"/> (the merged list with changedOnly).</summary>
    public async Task<long> DraftCountAsync(string org, CancellationToken ct = default) =>
        (await ListAsync(org, new GridQuery { ChangedOnly = true }, null, 1, ct)).Total ?? 0;

    /// <summary>Cost per calendar month of the lines matching <paramref name="filter"/> (its sort is irrelevant here).</summary>
    public async Task<IReadOnlyList<MonthCost>> MonthlyCostAsync(string org, bool includeDrafts, GridQuery filter, CancellationToken ct = default) =>
        (await SendAsync<MonthlyCostResult>(HttpMethod.Get,
            $"/api/orgs/{Uri.EscapeDataString(org)}/kpis/monthly?includeDrafts={(includeDrafts ? "true" : "false")}&{filter.ToQueryString(null, 1)}",
            null, await TokenAsync(), ct)).Months;

    public async Task<SyncStatus> SyncStatusAsync(string org, CancellationToken ct = default) =>
        await SendAsync<SyncStatus>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/sync", null, await TokenAsync(), ct);

    public async Task<SyncTriggerResult> TriggerSyncAsync(string org, CancellationToken ct = default) =>
        await SendAsync<SyncTriggerResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/sync/trigger", new { }, await TokenAsync(), ct);

    public async Task<IReadOnlyList<ConflictItem>> ConflictsAsync(string org, CancellationToken ct = default) =>
        await SendAsync<List<ConflictItem>>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/conflicts", null, await TokenAsync(), ct);

    public async Task<ResolveConflictResult> ResolveConflictAsync(string org, string pfaId, ResolveConflictCommand command, CancellationToken ct = default) =>
        await SendAsync<ResolveConflictResult>(HttpMethod.Post,
            $"/api/orgs/{Uri.EscapeDataString(org)}/conflicts/{Uri.EscapeDataString(pfaId)}/resolve", command, await TokenAsync(), ct);

    /// <summary>The signed-in user's API token (server side only), or null outside a signed-in circuit.</summary>
    public async Task<string?> TokenAsync()
    {
        if (auth is null) return null;
        var state = await auth.GetAuthenticationStateAsync();
        return state.User.FindFirst(PfaClaims.AccessToken)?.Value;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string url, object? body, string? token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is HttpContent content) request.Content = content;
        else if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new PfaApiException(0, "The PFA service cannot be reached.", inner: e);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
                return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
            var problem = await ProblemAsync(response, ct);
            if (problem.IsUnauthorized && token is not null) SessionEnded();
            throw problem;
        }
    }

    /// <summary>
    /// The API refused the token (deactivated, password changed or reset, membership gone, expired): inside a circuit, leave
    /// for the sign-out endpoint, which clears the cookie and shows the login page. Outside one there is nowhere to go.
    /// </summary>
    private void SessionEnded()
    {
        if (auth is null || navigation is null) return;
        try
        {
            navigation.NavigateTo(PfaClaims.SignedOutPath, forceLoad: true);
        }
        catch (InvalidOperationException)
        {
            // Not in an interactive render (plain HTTP request): the caller shows the error.
        }
    }

    internal static async Task<PfaApiException> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var title = response.ReasonPhrase ?? $"HTTP {status}";
        var errors = new Dictionary<string, string[]>();
        try
        {
            if (await response.Content.ReadFromJsonAsync<JsonObject>(Json, ct) is { } problem)
            {
                title = problem["title"]?.GetValue<string>() ?? title;
                if (problem["errors"] is JsonObject e)
                    foreach (var (key, value) in e)
                        errors[key] = value is JsonArray a ? a.Select(x => x?.ToString() ?? "").ToArray() : [value?.ToString() ?? ""];
            }
        }
        catch (JsonException) { }
        catch (NotSupportedException) { }
        var headers = response.Headers.RetryAfter;
        var retryAfter = headers?.Delta ?? (headers?.Date is { } at ? at - DateTimeOffset.UtcNow : null);
        return new PfaApiException(status, title, errors) { RetryAfter = retryAfter };
    }
}
