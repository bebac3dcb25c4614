using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.Pems;

/// <summary>
/// Typed client for one PEMS (HxGN EAM) connection: grid reads, CUPFA2 writes and the organization list.
/// Every call carries basic auth plus tenant/organization headers, is retried on 429/5xx/timeouts/garbled bodies
/// with exponential back-off and jitter up to <see cref="PemsClientOptions.MaxAttempts"/>, and fails with a
/// <see cref="PemsException"/> carrying PEMS's own message.
/// </summary>
public sealed class PemsClient
{
    private const string GridPath = "griddata";
    private const string UdsPath = "userdefinedscreenservices";
    private const string OrganizationPath = "organization";

    /// <summary>PEMS spells names in upper case, but tolerate proxies and older builds that do not.</summary>
    private static readonly JsonSerializerOptions ReadOptions = new() { PropertyNameCaseInsensitive = true };

    private readonly HttpClient _http;
    private readonly PemsClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AuthenticationHeaderValue _auth;

    public PemsClient(HttpClient http, PemsClientOptions options, ILogger<PemsClient>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BaseAddress is null && http.BaseAddress is null)
            throw new ArgumentException("PEMS base address is not configured.", nameof(options));
        if (options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");

        _http = http;
        _options = options;
        _logger = logger ?? NullLogger<PemsClient>.Instance;
        _time = time ?? TimeProvider.System;
        _auth = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.UserName}:{options.Password}")));
    }

    // ---------------------------------------------------------------- organizations

    public async Task<IReadOnlyList<PemsOrganization>> GetOrganizationsAsync(CancellationToken cancellationToken = default)
    {
        var data = await SendEnvelopeAsync<OrganizationResultData>("organization list", _options.DefaultOrganization,
            () => new HttpRequestMessage(HttpMethod.Get, Uri(OrganizationPath)), idempotent: true, cancellationToken);
        return data?.DataRecord
            .Select(r => new PemsOrganization(r.OrganizationId.OrganizationCode, r.OrganizationId.Description))
            .ToList() ?? [];
    }

    // ---------------------------------------------------------------- grid

    /// <summary>TOTAL-COUNT of the rows the query matches (LIST.COUNT.STORED, no rows returned).</summary>
    public async Task<long> CountGridAsync(string organization, GridQuery? query = null, CancellationToken cancellationToken = default)
    {
        var request = BuildGridRequest(organization, query ?? new GridQuery(), 0, 1);
        request.RequestType = GridRequestType.ListCount;
        var page = await ReadPageAsync(organization, request, 0, cancellationToken);
        return page.Info.TotalCount ?? page.Info.Records ?? page.Rows.Count;
    }

    /// <summary>
    /// All pages of the query for one organization, following the cursor until PEMS says no more records.
    /// Each page is streamed off the wire and retried as a whole if it arrives garbled, so a yielded page is complete.
    /// </summary>
    public async IAsyncEnumerable<GridPage> ReadGridPagesAsync(
        string organization, GridQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new GridQuery();
        var pageSize = Math.Clamp(query.PageSize ?? _options.PageSize, 1, CupfagGrid.MaxPageSize);
        if (query.KeysetPaging)
        {
            if (!string.Equals(query.SortAlias, CupfagGrid.PfaId, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException("Keyset paging needs the sort on pfs_id.", nameof(query));
            string? lastId = null;
            while (true)
            {
                var keyed = lastId is null ? query : new GridQuery
                {
                    ModifiedSince = query.ModifiedSince,
                    SortAlias = query.SortAlias,
                    PageSize = query.PageSize,
                    Filters = [.. query.Filters.Select(Clone), new GridMultiFilterItem { AliasName = CupfagGrid.PfaId, Operator = GridFilterOperator.Greater, Value = lastId }],
                };
                var page = await ReadPageAsync(organization, BuildGridRequest(organization, keyed, 0, pageSize), 0, cancellationToken);
                yield return page;
                if (!page.Info.MoreRecordsPresent || page.Rows.Count == 0) yield break;
                var next = page.Rows[^1][CupfagGrid.PfaId];
                if (next is null || string.CompareOrdinal(next, lastId) <= 0)
                    throw new PemsException("PEMS grid keyset did not advance.", PemsFailureKind.MalformedResponse);
                lastId = next;
            }
        }

        var cursor = 0;
        while (true)
        {
            var page = await ReadPageAsync(organization, BuildGridRequest(organization, query, cursor, pageSize), cursor, cancellationToken);
            yield return page;

            if (!page.Info.MoreRecordsPresent || page.Rows.Count == 0) yield break;
            var next = page.Info.CurrentCursorPosition is { } c && c > cursor ? c : cursor + page.Rows.Count;
            if (next <= cursor)
                throw new PemsException("PEMS grid cursor did not advance.", PemsFailureKind.MalformedResponse);
            cursor = next;
        }
    }

    /// <summary>One page at a cursor position.</summary>
    public Task<GridPage> ReadGridPageAsync(string organization, GridQuery query, int cursorPosition, CancellationToken cancellationToken = default)
    {
        var pageSize = Math.Clamp(query.PageSize ?? _options.PageSize, 1, CupfagGrid.MaxPageSize);
        return ReadPageAsync(organization, BuildGridRequest(organization, query, cursorPosition, pageSize), cursorPosition, cancellationToken);
    }

    public GridRequest BuildGridRequest(string organization, GridQuery query, int cursorPosition, int pageSize)
    {
        var request = new GridRequest
        {
            Grid = new GridSpec
            {
                GridName = _options.GridName,
                GridId = _options.GridId,
                NumberOfRowsFirstReturned = pageSize,
                CursorPosition = cursorPosition,
            },
            AddonSort = new GridSort { AliasName = query.SortAlias, Type = "ASC" },
            AddonFilter = new GridFilter { AliasName = CupfagGrid.Organization, Operator = GridFilterOperator.Equal, Value = organization },
            LovParameter = new GridLovParameter(),
        };

        var terms = new List<GridMultiFilterItem>();
        if (query.ModifiedSince is { } since)
        {
            terms.Add(new GridMultiFilterItem
            {
                AliasName = CupfagGrid.LastModified,
                Operator = GridFilterOperator.GreaterOrEqual,
                Value = GridQuery.FormatStamp(since),
            });
        }
        terms.AddRange(query.Filters.Select(Clone));
        if (terms.Count > 0)
        {
            for (var i = 0; i < terms.Count; i++)
            {
                terms[i].SeqNum = i + 1;
                terms[i].Joiner ??= "AND";
            }
            request.MultiAddonFilters = new GridMultiFilter { Filters = terms };
        }
        return request;
    }

    private static GridMultiFilterItem Clone(GridMultiFilterItem f) => new()
    {
        AliasName = f.AliasName, Operator = f.Operator, Value = f.Value, LParen = f.LParen, RParen = f.RParen, Joiner = f.Joiner, SeqNum = f.SeqNum,
    };

    private Task<GridPage> ReadPageAsync(string organization, GridRequest request, int cursor, CancellationToken cancellationToken) =>
        SendAsync($"grid {request.Grid.GridName} page at {cursor}", organization,
            () => new HttpRequestMessage(HttpMethod.Post, Uri(GridPath)) { Content = JsonContent.Create(request) },
            async (response, ct) =>
            {
                var info = new GridPageInfo();
                var rows = new List<GridRow>();
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await foreach (var row in GridPageParser.ParseAsync(body, info, ct)) rows.Add(row);
                ThrowOnErrorAlert($"grid {request.Grid.GridName}", info.ErrorAlerts);
                return new GridPage(info, rows, cursor);
            },
            idempotent: true, cancellationToken);

    // ---------------------------------------------------------------- CUPFA2

    public async Task<UdsRecord> GetRecordAsync(string organization, string pfaId, CancellationToken cancellationToken = default)
    {
        var request = UdsRequestFor(Cupfa2Screen.Get, [
            new UdsFieldValuePair(Cupfa2Screen.PfaId, UdsFieldValue.Text(pfaId)),
            new UdsFieldValuePair(Cupfa2Screen.Organization, UdsFieldValue.Text(organization)),
        ]);
        return await SendUdsAsync($"CUPFA2 GET {pfaId}", organization, request, idempotent: true, cancellationToken);
    }

    /// <summary>
    /// UPDATE with absolute values, so a retried write cannot apply twice. The record is identified by PFS_ID + PFS_A_ORG.
    /// </summary>
    public async Task<UdsRecord> UpdateRecordAsync(
        string organization, string pfaId, IEnumerable<UdsFieldValuePair> changes, CancellationToken cancellationToken = default)
    {
        var pairs = new List<UdsFieldValuePair>
        {
            new(Cupfa2Screen.PfaId, UdsFieldValue.Text(pfaId)),
            new(Cupfa2Screen.Organization, UdsFieldValue.Text(organization)),
        };
        pairs.AddRange(changes.Where(c => !IsKey(c.FieldName)));
        var request = UdsRequestFor(Cupfa2Screen.Update, pairs);
        request.RecordId = 0;
        return await SendUdsAsync($"CUPFA2 UPDATE {pfaId}", organization, request, idempotent: true, cancellationToken);
    }

    /// <summary>ADD is not idempotent: it is only retried when PEMS refused it outright (429).</summary>
    public async Task<UdsRecord> AddRecordAsync(
        string organization, IEnumerable<UdsFieldValuePair> fields, CancellationToken cancellationToken = default)
    {
        var pairs = new List<UdsFieldValuePair> { new(Cupfa2Screen.Organization, UdsFieldValue.Text(organization)) };
        pairs.AddRange(fields.Where(c => !string.Equals(c.FieldName, Cupfa2Screen.Organization, StringComparison.OrdinalIgnoreCase)));
        return await SendUdsAsync("CUPFA2 ADD", organization, UdsRequestFor(Cupfa2Screen.Add, pairs), idempotent: false, cancellationToken);
    }

    public async Task DeleteRecordAsync(string organization, string pfaId, CancellationToken cancellationToken = default)
    {
        var request = UdsRequestFor(Cupfa2Screen.Delete, [
            new UdsFieldValuePair(Cupfa2Screen.PfaId, UdsFieldValue.Text(pfaId)),
            new UdsFieldValuePair(Cupfa2Screen.Organization, UdsFieldValue.Text(organization)),
        ]);
        await SendUdsAsync($"CUPFA2 DELETE {pfaId}", organization, request, idempotent: true, cancellationToken);
    }

    private static bool IsKey(string field) =>
        string.Equals(field, Cupfa2Screen.PfaId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(field, Cupfa2Screen.Organization, StringComparison.OrdinalIgnoreCase);

    private UdsRequest UdsRequestFor(string action, List<UdsFieldValuePair> pairs) => new()
    {
        ScreenName = _options.ScreenName,
        Action = action,
        FieldValues = new UdsFieldValueList { Pairs = pairs },
    };

    private async Task<UdsRecord> SendUdsAsync(string operation, string organization, UdsRequest request, bool idempotent, CancellationToken ct)
    {
        var data = await SendEnvelopeAsync<UdsResultData>(operation, organization,
            () => new HttpRequestMessage(HttpMethod.Post, Uri(UdsPath)) { Content = JsonContent.Create(request) },
            idempotent, ct);
        return new UdsRecord(data?.Screen ?? new UdsRecordPayload());
    }

    // ---------------------------------------------------------------- transport

    private Task<T?> SendEnvelopeAsync<T>(string operation, string organization, Func<HttpRequestMessage> build, bool idempotent, CancellationToken ct)
        where T : class =>
        SendAsync(operation, organization, build, async (response, token) =>
        {
            PemsEnvelope<T>? envelope;
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(token);
                envelope = await JsonSerializer.DeserializeAsync<PemsEnvelope<T>>(body, ReadOptions, token);
            }
            catch (JsonException ex)
            {
                throw new PemsException($"PEMS {operation} answered with malformed JSON: {ex.Message}",
                    PemsFailureKind.MalformedResponse, response.StatusCode, innerException: ex);
            }
            catch (IOException ex)
            {
                throw new PemsException($"PEMS {operation} response was cut off: {ex.Message}",
                    PemsFailureKind.MalformedResponse, response.StatusCode, innerException: ex);
            }
            if (envelope is null)
                throw new PemsException($"PEMS {operation} answered with an empty body.", PemsFailureKind.MalformedResponse, response.StatusCode);
            ThrowOnErrorAlert(operation, envelope.ErrorAlert);
            return envelope.Result?.ResultData;
        }, idempotent, ct);

    private static void ThrowOnErrorAlert(string operation, IReadOnlyList<PemsAlert> alerts)
    {
        if (alerts.Count == 0) return;
        var message = string.Join("; ", alerts.Select(a => a.Message ?? a.Name).Where(m => !string.IsNullOrWhiteSpace(m)));
        throw new PemsException($"PEMS rejected {operation}: {message}", PemsFailureKind.ErrorAlert, HttpStatusCode.OK, alerts);
    }

    private async Task<T> SendAsync<T>(
        string operation, string organization, Func<HttpRequestMessage> build,
        Func<HttpResponseMessage, CancellationToken, Task<T>> read, bool idempotent, CancellationToken ct)
    {
        using var activity = PemsTelemetry.ActivitySource.StartActivity($"PEMS {operation}", ActivityKind.Client);
        activity?.SetTag("pems.organization", organization);

        for (var attempt = 1; ; attempt++)
        {
            PemsException failure;
            TimeSpan? retryAfter = null;
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                attemptCts.CancelAfter(_options.AttemptTimeout);
                try
                {
                    using var request = build();
                    request.Headers.Authorization = _auth;
                    request.Headers.Add("tenant", _options.Tenant);
                    request.Headers.Add("organization", organization);
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        retryAfter = response.Headers.RetryAfter?.Delta;
                        throw await FailureFromStatusAsync(operation, response, attemptCts.Token);
                    }
                    var result = await read(response, attemptCts.Token);
                    activity?.SetTag("pems.attempts", attempt);
                    return result;
                }
                catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                {
                    failure = new PemsException($"PEMS {operation} timed out after {_options.AttemptTimeout.TotalSeconds:0.###} s.",
                        PemsFailureKind.Timeout, innerException: ex);
                }
                catch (HttpRequestException ex)
                {
                    failure = new PemsException($"PEMS {operation} could not be reached: {ex.Message}",
                        PemsFailureKind.Network, innerException: ex);
                }
                catch (PemsException ex)
                {
                    failure = ex;
                }
            }

            // A non-idempotent call may have been applied unless PEMS refused it before doing anything.
            var retryable = failure.IsTransient && (idempotent || failure.Kind == PemsFailureKind.RateLimited);
            if (!retryable || attempt >= _options.MaxAttempts)
            {
                activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
                activity?.SetTag("pems.attempts", attempt);
                throw failure.WithAttempts(attempt);
            }

            var delay = BackoffDelay(attempt, retryAfter);
            // Tag with the operation's kind ("CUPFA2 GET", "grid CUPFAG"), not the record or cursor: metric tags must stay few.
            PemsTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("operation", string.Join(' ', operation.Split(' ').Take(2))), new KeyValuePair<string, object?>("kind", failure.Kind.ToString()));
            _logger.LogWarning("PEMS {Operation} for {Organization} failed ({Kind}), attempt {Attempt}/{MaxAttempts}; retrying in {DelayMs} ms: {Message}",
                operation, organization, failure.Kind, attempt, _options.MaxAttempts, (int)delay.TotalMilliseconds, failure.Message);
            await Task.Delay(delay, _time, ct);
        }
    }

    /// <summary>Exponential back-off with "equal jitter": half fixed, half random, so replicas spread out but never retry instantly.</summary>
    public TimeSpan BackoffDelay(int attempt, TimeSpan? retryAfter)
    {
        var exp = _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var capped = Math.Min(exp, _options.MaxDelay.TotalMilliseconds);
        var jittered = capped / 2 + Random.Shared.NextDouble() * capped / 2;
        if (retryAfter is { } ra) jittered = Math.Max(jittered, Math.Min(ra.TotalMilliseconds, _options.MaxDelay.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(jittered);
    }

    private static async Task<PemsException> FailureFromStatusAsync(string operation, HttpResponseMessage response, CancellationToken ct)
    {
        var status = response.StatusCode;
        var kind = status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => PemsFailureKind.Unauthorized,
            HttpStatusCode.NotFound => PemsFailureKind.NotFound,
            HttpStatusCode.TooManyRequests => PemsFailureKind.RateLimited,
            HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => PemsFailureKind.Timeout,
            >= HttpStatusCode.InternalServerError => PemsFailureKind.ServerError,
            _ => PemsFailureKind.BadRequest,
        };

        // The 400/401/500 bodies use the same envelope; surface PEMS's own words when it gave any.
        IReadOnlyList<PemsAlert> alerts = [];
        string? text = null;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct);
            if (!string.IsNullOrWhiteSpace(text) && text.TrimStart().StartsWith('{'))
                alerts = JsonSerializer.Deserialize<PemsEnvelope<JsonElementHolder>>(text, ReadOptions)?.ErrorAlert ?? [];
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException)
        {
            // The status already tells the story; a garbled error body must not hide it.
        }

        var detail = alerts.Count > 0
            ? string.Join("; ", alerts.Select(a => a.Message ?? a.Name))
            : Truncate(text);
        var message = $"PEMS {operation} failed with HTTP {(int)status} {status}" + (string.IsNullOrWhiteSpace(detail) ? "." : $": {detail}");
        return new PemsException(message, kind, status, alerts);
    }

    private static string? Truncate(string? text) => text is { Length: > 200 } ? text[..200] + "…" : text;

    private Uri Uri(string path) => _options.BaseAddress is { } b ? new Uri(EnsureSlash(b), path) : new Uri(path, UriKind.Relative);

    private static Uri EnsureSlash(Uri b) => b.AbsoluteUri.EndsWith('/') ? b : new Uri(b.AbsoluteUri + "/");

    /// <summary>Placeholder result type for error envelopes, whose ResultData we ignore.</summary>
    private sealed class JsonElementHolder;
}
