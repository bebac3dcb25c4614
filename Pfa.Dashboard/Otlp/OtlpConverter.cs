using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Pfa.Dashboard.Otlp.Proto.Common;
using Pfa.Dashboard.Otlp.Proto.Logs;
using Pfa.Dashboard.Otlp.Proto.Metrics;
using Pfa.Dashboard.Otlp.Proto.Trace;
using Pfa.Dashboard.Telemetry;
using ProtoResource = Pfa.Dashboard.Otlp.Proto.Resource.Resource;

namespace Pfa.Dashboard.Otlp;

/// <summary>OTLP messages → the dashboard's own records: ids as hex, attributes as text within the configured limits.</summary>
public sealed class OtlpConverter(TelemetryLimits limits)
{
    public const string UnknownResource = "unknown_service";

    public List<LogEntry> ToLogs(RepeatedField<ResourceLogs> resourceLogs)
    {
        var logs = new List<LogEntry>();
        foreach (var rl in resourceLogs)
        {
            var (resource, instance) = ResourceName(rl.Resource);
            foreach (var scope in rl.ScopeLogs)
            foreach (var r in scope.LogRecords)
            {
                var time = r.TimeUnixNano != 0 ? r.TimeUnixNano : r.ObservedTimeUnixNano;
                logs.Add(new LogEntry
                {
                    Timestamp = time != 0 ? FromUnixNano(time) : DateTime.UtcNow,
                    Resource = resource,
                    InstanceId = instance,
                    SeverityNumber = r.SeverityNumber,
                    Level = Level(r.SeverityNumber, r.SeverityText),
                    Message = r.Body is null ? r.EventName : Truncate(Render(r.Body)),
                    Category = scope.Scope?.Name ?? "",
                    TraceId = Hex(r.TraceId),
                    SpanId = Hex(r.SpanId),
                    Attributes = Attributes(r.Attributes),
                });
            }
        }
        return logs;
    }

    public List<SpanEntry> ToSpans(RepeatedField<ResourceSpans> resourceSpans)
    {
        var spans = new List<SpanEntry>();
        foreach (var rs in resourceSpans)
        {
            var (resource, instance) = ResourceName(rs.Resource);
            foreach (var scope in rs.ScopeSpans)
            foreach (var s in scope.Spans)
            {
                var traceId = Hex(s.TraceId);
                var spanId = Hex(s.SpanId);
                if (traceId is null || spanId is null) continue; // not a valid span; nothing to place it under
                spans.Add(new SpanEntry
                {
                    TraceId = traceId,
                    SpanId = spanId,
                    ParentSpanId = Hex(s.ParentSpanId),
                    Name = s.Name,
                    Kind = s.Kind switch
                    {
                        Span.Types.SpanKind.Server => "Server",
                        Span.Types.SpanKind.Client => "Client",
                        Span.Types.SpanKind.Producer => "Producer",
                        Span.Types.SpanKind.Consumer => "Consumer",
                        _ => "Internal",
                    },
                    Resource = resource,
                    InstanceId = instance,
                    Scope = scope.Scope?.Name ?? "",
                    Start = FromUnixNano(s.StartTimeUnixNano),
                    End = FromUnixNano(s.EndTimeUnixNano),
                    Status = s.Status?.Code switch
                    {
                        Status.Types.StatusCode.Error => SpanStatus.Error,
                        Status.Types.StatusCode.Ok => SpanStatus.Ok,
                        _ => SpanStatus.Unset,
                    },
                    StatusMessage = string.IsNullOrEmpty(s.Status?.Message) ? null : s.Status.Message,
                    Attributes = Attributes(s.Attributes),
                    Events = [.. s.Events.Select(e => new SpanEvent(FromUnixNano(e.TimeUnixNano), e.Name, Attributes(e.Attributes)))],
                });
            }
        }
        return spans;
    }

    public List<MetricPoint> ToMetrics(RepeatedField<ResourceMetrics> resourceMetrics)
    {
        var points = new List<MetricPoint>();
        foreach (var rm in resourceMetrics)
        {
            var (resource, _) = ResourceName(rm.Resource);
            foreach (var scope in rm.ScopeMetrics)
            foreach (var m in scope.Metrics)
            {
                var template = new MetricPoint { Resource = resource, Scope = scope.Scope?.Name ?? "", Name = m.Name, Unit = m.Unit, Description = m.Description, Time = default };
                switch (m.DataCase)
                {
                    case Metric.DataOneofCase.Gauge:
                        points.AddRange(m.Gauge.DataPoints.Select(p => Number(template with { Kind = MetricKind.Gauge }, p)));
                        break;
                    case Metric.DataOneofCase.Sum:
                        points.AddRange(m.Sum.DataPoints.Select(p => Number(template with
                        {
                            Kind = MetricKind.Sum,
                            IsMonotonic = m.Sum.IsMonotonic,
                            Cumulative = m.Sum.AggregationTemporality == AggregationTemporality.Cumulative,
                        }, p)));
                        break;
                    case Metric.DataOneofCase.Histogram:
                        var cumulative = m.Histogram.AggregationTemporality == AggregationTemporality.Cumulative;
                        points.AddRange(m.Histogram.DataPoints.Select(p => template with
                        {
                            Kind = MetricKind.Histogram,
                            IsMonotonic = true,
                            Cumulative = cumulative,
                            Start = FromUnixNano(p.StartTimeUnixNano),
                            Time = FromUnixNano(p.TimeUnixNano),
                            Value = p.HasSum ? p.Sum : 0,
                            Count = (long)p.Count,
                            Bounds = [.. p.ExplicitBounds],
                            BucketCounts = [.. p.BucketCounts.Select(c => (long)c)],
                            Series = Series(p.Attributes),
                        }));
                        break;
                }
            }
        }
        return points;
    }

    private MetricPoint Number(MetricPoint template, NumberDataPoint p) => template with
    {
        Start = FromUnixNano(p.StartTimeUnixNano),
        Time = FromUnixNano(p.TimeUnixNano),
        Value = p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble,
        Series = Series(p.Attributes),
    };

    private string Series(RepeatedField<KeyValue> attributes) =>
        string.Join(", ", Attributes(attributes).OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));

    private static (string Name, string? Instance) ResourceName(ProtoResource? resource)
    {
        string? name = null, instance = null;
        foreach (var a in resource?.Attributes ?? [])
        {
            if (a.Key == "service.name") name = Render(a.Value);
            else if (a.Key == "service.instance.id") instance = Render(a.Value);
        }
        return (string.IsNullOrWhiteSpace(name) ? UnknownResource : name, instance);
    }

    private List<TelemetryAttribute> Attributes(RepeatedField<KeyValue> attributes)
    {
        var list = new List<TelemetryAttribute>(Math.Min(attributes.Count, limits.MaxAttributeCount));
        foreach (var a in attributes)
        {
            if (list.Count == limits.MaxAttributeCount) break;
            list.Add(new TelemetryAttribute(a.Key, Truncate(Render(a.Value))));
        }
        return list;
    }

    private string Truncate(string value) =>
        value.Length <= limits.MaxAttributeLength ? value : string.Concat(value.AsSpan(0, limits.MaxAttributeLength - 1), "…");

    private static string Render(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(value.BytesValue.Span),
        AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", value.ArrayValue.Values.Select(Render)) + "]",
        AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", value.KvlistValue.Values.Select(kv => $"{kv.Key}: {Render(kv.Value)}")) + "}",
        _ => "",
    };

    /// <summary>Levels named as .NET names them; severity text wins when the number is missing.</summary>
    public static string Level(int severityNumber, string? severityText = null) => severityNumber switch
    {
        >= 21 => "Critical",
        >= 17 => "Error",
        >= 13 => "Warning",
        >= 9 => "Information",
        >= 5 => "Debug",
        >= 1 => "Trace",
        _ => string.IsNullOrEmpty(severityText) ? "Unspecified" : severityText,
    };

    private static string? Hex(ByteString bytes)
    {
        if (bytes.IsEmpty) return null;
        var span = bytes.Span;
        foreach (var b in span)
        {
            if (b != 0) return Convert.ToHexStringLower(span);
        }
        return null; // all-zero ids mean "none"
    }

    private static DateTime FromUnixNano(ulong nanos) => DateTime.UnixEpoch.AddTicks((long)(nanos / 100));
}
