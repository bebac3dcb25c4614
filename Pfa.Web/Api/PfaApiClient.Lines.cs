using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Pfa.Domain;

namespace Pfa.Web.Api;

public sealed record FieldChange(string Field, JsonNode? From, JsonNode? To);
/// <summary>A history entry: <c>version</c> (a PEMS version of the line) or <c>change</c> (a committed change made in the app).</summary>
public sealed record LineHistoryEntry(string Kind, DateTimeOffset At, string Who, int? Version, bool IsCurrent, PfaRecord? Record, string? State,
    IReadOnlyList<FieldChange> Fields, string? Message);
public sealed record LineHistory(string PfaId, int CurrentVersion, bool IsNewLine, IReadOnlyList<LineHistoryEntry> Entries);
public sealed record RestoreResult(string PfaId, int Version, int Saved, IReadOnlyList<string> Fields, string Label);

/// <summary>The "New lines" form (mutable: bound to inputs).</summary>
public sealed class NewLinesForm
{
    public int Count { get; set; } = 1;
    public string? Description { get; set; }
    public string? Category { get; set; }
    public string? Class { get; set; }
    public string Source { get; set; } = "Rental";
    public string Dor { get; set; } = "PROJECT";
    public string? AreaSilo { get; set; }
    public DateTime? ForecastStart { get; set; }
    public DateTime? ForecastEnd { get; set; }
    public decimal? MonthlyRate { get; set; }
    public decimal? PurchasePrice { get; set; }

    public object ToRequest() => new
    {
        count = Count, description = Description, category = Category, @class = Class, source = Source, dor = Dor, areaSilo = AreaSilo,
        forecastStart = ForecastStart is { } s ? DateOnly.FromDateTime(s) : (DateOnly?)null,
        forecastEnd = ForecastEnd is { } e ? DateOnly.FromDateTime(e) : (DateOnly?)null,
        monthlyRate = Source == "Rental" ? MonthlyRate : null, purchasePrice = Source == "Purchase" ? PurchasePrice : null,
    };
}
public sealed record NewLinesResult(int Created, IReadOnlyList<string> PfaIds, string Label);

public sealed record ImportColumn(string Header, string Key, bool Editable);
public sealed record ImportRow(int Row, string? PfaId, IReadOnlyList<FieldChange> Changes, Dictionary<string, string[]> Errors);
public sealed record ImportPreview(string FileName, int Rows, int Valid, int Invalid, int Changing, IReadOnlyList<ImportColumn> Columns,
    IReadOnlyList<string> UnmatchedHeaders, IReadOnlyList<ImportRow> Items);
public sealed record ImportApplyResult(string FileName, int Rows, int Applied, int Invalid, string? Label);

public sealed partial class PfaApiClient
{
    public async Task<LineHistory> LineHistoryAsync(string org, string pfaId, CancellationToken ct = default) =>
        await SendAsync<LineHistory>(HttpMethod.Get, $"/api/orgs/{Uri.EscapeDataString(org)}/pfa/{Uri.EscapeDataString(pfaId)}/history", null, await TokenAsync(), ct);

    public async Task<RestoreResult> RestoreVersionAsync(string org, string pfaId, int version, CancellationToken ct = default) =>
        await SendAsync<RestoreResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/pfa/{Uri.EscapeDataString(pfaId)}/history/{version}/restore",
            new { }, await TokenAsync(), ct);

    public async Task<NewLinesResult> CreateNewLinesAsync(string org, NewLinesForm form, CancellationToken ct = default) =>
        await SendAsync<NewLinesResult>(HttpMethod.Post, $"/api/orgs/{Uri.EscapeDataString(org)}/pfa/new", form.ToRequest(), await TokenAsync(), ct);

    public Task<ImportPreview> ImportPreviewAsync(string org, byte[] file, string fileName, CancellationToken ct = default) =>
        UploadAsync<ImportPreview>($"/api/orgs/{Uri.EscapeDataString(org)}/import/preview", file, fileName, ct);

    public Task<ImportApplyResult> ImportApplyAsync(string org, byte[] file, string fileName, CancellationToken ct = default) =>
        UploadAsync<ImportApplyResult>($"/api/orgs/{Uri.EscapeDataString(org)}/import/apply", file, fileName, ct);

    private async Task<T> UploadAsync<T>(string url, byte[] file, string fileName, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue(fileName.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase)
            ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv");
        form.Add(content, "file", fileName);
        return await SendAsync<T>(HttpMethod.Post, url, form, await TokenAsync(), ct);
    }

    /// <summary>
    /// One of the API's exports (<paramref name="path"/> under <c>/export/</c>, query string included), headers read and body
    /// not yet: the caller streams it on and disposes it. Takes the token explicitly (a plain HTTP request, not a circuit).
    /// </summary>
    public Task<HttpResponseMessage> OpenExportAsync(string org, string path, string token, CancellationToken ct) =>
        OpenDownloadAsync($"/api/orgs/{Uri.EscapeDataString(org)}/export/{path}", token, ct);
}
