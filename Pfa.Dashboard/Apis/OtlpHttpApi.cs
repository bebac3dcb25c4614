using System.IO.Compression;
using Google.Protobuf;
using Pfa.Dashboard.Otlp;
using Pfa.Dashboard.Otlp.Proto.Collector.Logs;
using Pfa.Dashboard.Otlp.Proto.Collector.Metrics;
using Pfa.Dashboard.Otlp.Proto.Collector.Trace;
using Pfa.Dashboard.Telemetry;

namespace Pfa.Dashboard.Apis;

/// <summary>
/// OTLP/HTTP with binary protobuf (what the .NET exporter sends with <c>http/protobuf</c>): POST /v1/traces, /v1/logs,
/// /v1/metrics. The key is checked before the body is read; a refused request stores nothing.
/// </summary>
public static class OtlpHttpApi
{
    private const string Protobuf = "application/x-protobuf";
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    public static IEndpointRouteBuilder MapOtlpHttpApi(this IEndpointRouteBuilder app)
    {
        var otlp = app.MapGroup("/v1")
            .AllowAnonymous() // the API key, not the browser cookie, guards ingestion
            .DisableAntiforgery()
            .AddEndpointFilter(async (context, next) =>
                context.HttpContext.RequestServices.GetRequiredService<OtlpApiKey>().IsAuthorized(context.HttpContext)
                    ? await next(context)
                    : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                        detail: $"Missing or wrong {OtlpApiKey.HeaderName} header."))
            .ExcludeFromDescription();
        otlp.MapPost("/traces", ExportTraces);
        otlp.MapPost("/logs", ExportLogs);
        otlp.MapPost("/metrics", ExportMetrics);
        return app;
    }

    private static async Task<IResult> ExportTraces(HttpRequest request, TelemetryStore store, OtlpConverter converter) =>
        await ReadAsync(request, ExportTraceServiceRequest.Parser) is { Message: { } message }
            ? Ok(Store(() => store.AddSpans(converter.ToSpans(message.ResourceSpans)), new ExportTraceServiceResponse()))
            : BadBody(request);

    private static async Task<IResult> ExportLogs(HttpRequest request, TelemetryStore store, OtlpConverter converter) =>
        await ReadAsync(request, ExportLogsServiceRequest.Parser) is { Message: { } message }
            ? Ok(Store(() => store.AddLogs(converter.ToLogs(message.ResourceLogs)), new ExportLogsServiceResponse()))
            : BadBody(request);

    private static async Task<IResult> ExportMetrics(HttpRequest request, TelemetryStore store, OtlpConverter converter) =>
        await ReadAsync(request, ExportMetricsServiceRequest.Parser) is { Message: { } message }
            ? Ok(Store(() => store.AddMetrics(converter.ToMetrics(message.ResourceMetrics)), new ExportMetricsServiceResponse()))
            : BadBody(request);

    private static T Store<T>(Action add, T response)
    {
        add();
        return response;
    }

    private static IResult Ok(IMessage response) => Results.Bytes(response.ToByteArray(), Protobuf);

    private static IResult BadBody(HttpRequest request) =>
        request.ContentType?.StartsWith(Protobuf, StringComparison.OrdinalIgnoreCase) == true
            ? TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid OTLP payload",
                detail: "The body is not a valid OTLP protobuf export request.")
            : TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: $"Send {Protobuf} (OTLP/HTTP binary protobuf); JSON is not accepted.");

    private sealed record Parsed<T>(T? Message);

    private static async Task<Parsed<T>> ReadAsync<T>(HttpRequest request, MessageParser<T> parser) where T : IMessage<T>
    {
        if (request.ContentType?.StartsWith(Protobuf, StringComparison.OrdinalIgnoreCase) != true) return new(default);
        var body = request.Headers.ContentEncoding.ToString() switch
        {
            "gzip" => new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            _ => request.Body,
        };
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return new(default);
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return new(parser.ParseFrom(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        }
        catch (InvalidProtocolBufferException)
        {
            return new(default);
        }
    }
}
