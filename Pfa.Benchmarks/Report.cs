using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pfa.Benchmarks;

/// <summary>
/// One figure: a latency distribution (ms), or a single value with its unit. <see cref="Pending"/> marks a hook not yet measurable.
/// <see cref="ApiCpuMs"/> and <see cref="PostgresCpuMs"/>: CPU time per measured request of the API process and of PostgreSQL.
/// </summary>
public sealed record Metric(string Name, string Unit, int Samples = 0, double P50 = 0, double P95 = 0, double P99 = 0, double? Value = null,
    int Errors = 0, string? Note = null, bool Pending = false, double? ApiCpuMs = null, double? PostgresCpuMs = null)
{
    public Metric WithCpu(CpuSample used) => Samples == 0 ? this : this with { ApiCpuMs = used.ApiMs / Samples, PostgresCpuMs = used.PostgresMs / Samples };

    public static Metric Latency(string name, List<double> ms, int errors = 0, string? note = null)
    {
        ms.Sort();
        double P(double q) => ms.Count == 0 ? 0 : ms[Math.Clamp((int)Math.Ceiling(q * ms.Count) - 1, 0, ms.Count - 1)];
        return new(name, "ms", ms.Count, P(0.50), P(0.95), P(0.99), Errors: errors, Note: note);
    }
}

public sealed record MachineInfo(string Os, string Cpu, int LogicalCores, long MemoryBytes, string Runtime, string PostgreSql)
{
    public static MachineInfo Describe(string postgresVersion)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        return new(RuntimeInformation.OSDescription, cpu, Environment.ProcessorCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            RuntimeInformation.FrameworkDescription, postgresVersion);
    }
}

public sealed record DataSetInfo(int MirrorRecords, int Organizations, int Users, int OpenDeltas, double LoadSeconds);

public sealed class BenchmarkReport
{
    public required string Preset { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required MachineInfo Machine { get; init; }
    public required DataSetInfo DataSet { get; init; }
    public List<Metric> Metrics { get; } = [];
    /// <summary>EXPLAIN (ANALYZE, BUFFERS) of the list queries, by workload.</summary>
    public Dictionary<string, string> Plans { get; } = [];
    public int Errors => Metrics.Sum(m => m.Errors);

    public Metric this[string name] => Metrics.Single(m => m.Name == name);

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public string ToMarkdown()
    {
        static string F(double v) => v.ToString(v >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.AppendLine($"Preset **{Preset}**, {StartedAt:yyyy-MM-dd HH:mm} UTC. Machine: {Machine.Cpu}, {Machine.LogicalCores} logical cores, " +
                      $"{Machine.MemoryBytes / (1 << 20):N0} MiB, {Machine.Os}, {Machine.Runtime}, PostgreSQL {Machine.PostgreSql}.");
        md.AppendLine($"Data set: {DataSet.MirrorRecords:N0} mirror records, {DataSet.Organizations} organizations, {DataSet.Users} users, " +
                      $"{DataSet.OpenDeltas:N0} open deltas (loaded with binary COPY in {DataSet.LoadSeconds:F1} s).");
        md.AppendLine();
        md.AppendLine("| metric | n | p50 | p95 | p99 | API CPU/req | PG CPU/req | value | errors | note |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var m in Metrics)
        {
            if (m.Pending) { md.AppendLine($"| {m.Name} | | | | | | | not measured | | {m.Note} |"); continue; }
            var latency = m.Samples > 0 ? $"{F(m.P50)} | {F(m.P95)} | {F(m.P99)}" : " | | ";
            var cpu = m.ApiCpuMs is { } a && m.PostgresCpuMs is { } p ? $"{F(a)} | {F(p)}" : " | ";
            var value = m.Value is { } v ? $"{F(v)} {m.Unit}" : "";
            md.AppendLine($"| {m.Name} | {(m.Samples > 0 ? m.Samples : "")} | {latency} | {cpu} | {value} | {m.Errors} | {m.Note} |");
        }
        md.AppendLine();
        md.AppendLine("Latencies and CPU in ms (nearest-rank percentiles, after warm-up). CPU/req: user + system time per measured request of " +
                      "the API process and of PostgreSQL (postmaster and all its children, from /proc; 10 ms ticks, so meaningful over many requests).");
        foreach (var (name, plan) in Plans)
        {
            md.AppendLine();
            md.AppendLine($"Plan of {name}:");
            md.AppendLine("```");
            md.Append(plan);
            md.AppendLine("```");
        }
        return md.ToString();
    }
}

/// <summary>
/// The same workloads at several data-set sizes side by side (<c>--preset scale</c>: quick, then full): latency, throughput and
/// CPU per request, and how much the CPU per request grew with the organization's size.
/// </summary>
public static class ScaleReport
{
    public static string ToMarkdown(IReadOnlyList<BenchmarkReport> runs)
    {
        static string F(double v) => v.ToString(v >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture);
        var sizes = runs.Select(r => $"{r.Preset} ({r.DataSet.MirrorRecords / r.DataSet.Organizations:N0} lines/org)").ToList();
        var md = new StringBuilder();
        md.AppendLine($"Scale run, {runs[0].StartedAt:yyyy-MM-dd HH:mm} UTC: {string.Join(" → ", sizes)}. Latencies p50 / p95 / p99 ms; " +
                      "CPU ms per request of the API process and of PostgreSQL; growth = total CPU per request, largest over smallest.");
        md.AppendLine();
        md.AppendLine($"| workload | {string.Join(" | ", sizes.Select(s => $"{s} p50 / p95 / p99"))} | {string.Join(" | ", sizes.Select(s => $"{s} CPU API + PG"))} | CPU growth |");
        md.AppendLine($"|---|{string.Concat(Enumerable.Repeat("---:|", sizes.Count * 2))}---:|");
        foreach (var name in runs[0].Metrics.Where(m => m.Samples > 0 || m.Unit == "req/s").Select(m => m.Name))
        {
            var cells = runs.Select(r => r.Metrics.FirstOrDefault(m => m.Name == name)).ToList();
            if (cells.Any(c => c is null)) continue;
            var latency = cells.Select(c => c!.Samples > 0 ? $"{F(c.P50)} / {F(c.P95)} / {F(c.P99)}" : $"{F(c.Value ?? 0)} {c.Unit}");
            var cpu = cells.Select(c => c!.ApiCpuMs is { } a && c.PostgresCpuMs is { } p ? $"{F(a)} + {F(p)}" : "");
            var totals = cells.Select(c => (c!.ApiCpuMs ?? 0) + (c.PostgresCpuMs ?? 0)).ToList();
            var growth = totals[0] > 0 && totals[^1] > 0 ? $"{F(totals[^1] / totals[0])} ×" : "";
            md.AppendLine($"| {name} | {string.Join(" | ", latency)} | {string.Join(" | ", cpu)} | {growth} |");
        }
        return md.ToString();
    }
}
