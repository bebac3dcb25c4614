using System.Diagnostics;

namespace Pfa.Pems;

/// <summary>Spans for PEMS calls, so a sync run's trace shows each page and write.</summary>
public static class PemsTelemetry
{
    public const string SourceName = "Pfa.Pems";
    public static readonly ActivitySource ActivitySource = new(SourceName);
}
