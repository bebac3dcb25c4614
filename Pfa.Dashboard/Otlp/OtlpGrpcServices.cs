using Grpc.Core;
using Grpc.Core.Interceptors;
using Pfa.Dashboard.Otlp.Proto.Collector.Logs;
using Pfa.Dashboard.Otlp.Proto.Collector.Metrics;
using Pfa.Dashboard.Otlp.Proto.Collector.Trace;
using Pfa.Dashboard.Telemetry;

namespace Pfa.Dashboard.Otlp;

/// <summary>Refuses OTLP/gRPC calls without the right key before any handler (and so the store) sees them.</summary>
public sealed class OtlpApiKeyInterceptor(OtlpApiKey apiKey) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!apiKey.IsAuthorized(context.GetHttpContext()))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Missing or wrong {OtlpApiKey.HeaderName} header."));
        return continuation(request, context);
    }
}

public sealed class OtlpTraceService(TelemetryStore store, OtlpConverter converter) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        store.AddSpans(converter.ToSpans(request.ResourceSpans));
        return Task.FromResult(new ExportTraceServiceResponse());
    }
}

public sealed class OtlpLogsService(TelemetryStore store, OtlpConverter converter) : LogsService.LogsServiceBase
{
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        store.AddLogs(converter.ToLogs(request.ResourceLogs));
        return Task.FromResult(new ExportLogsServiceResponse());
    }
}

public sealed class OtlpMetricsService(TelemetryStore store, OtlpConverter converter) : MetricsService.MetricsServiceBase
{
    public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
    {
        store.AddMetrics(converter.ToMetrics(request.ResourceMetrics));
        return Task.FromResult(new ExportMetricsServiceResponse());
    }
}
