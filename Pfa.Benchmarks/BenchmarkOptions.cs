namespace Pfa.Benchmarks;

/// <summary>Data-set size and iteration counts. Presets: full (the 1M), quick (~100k, minutes), smoke (seconds, CI).</summary>
public sealed record BenchmarkOptions
{
    public string Preset { get; init; } = "quick";
    public int MirrorRecords { get; init; }
    public int Organizations { get; init; }
    public int Users { get; init; }
    public int OpenDeltas { get; init; }
    public int Warmup { get; init; }
    /// <summary>Iterations of each read measurement (list pages, KPIs, raw SQL).</summary>
    public int ReadIterations { get; init; }
    /// <summary>Iterations of single-line draft saves and cold KPI/timeline reads (each needs a write first).</summary>
    public int WriteIterations { get; init; }
    /// <summary>Iterations of the 600-line bulk shift and the 600-line commit.</summary>
    public int BulkIterations { get; init; }
    public int BulkLines { get; init; } = 600;
    /// <summary>Lines of the organization the sync workloads read from the PEMS simulator (the 50,000).</summary>
    public int SyncLines { get; init; } = 50_000;
    public int ConcurrentUsers { get; init; }
    public TimeSpan ConcurrencyDuration { get; init; }
    /// <summary>Mean pause between a user's requests in the interactive concurrency run (uniform 0.5–1.5×).</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromSeconds(1);
    public string OutputDirectory { get; init; } = "bench-results";
    /// <summary>Only this workload group after loading ("api": the API workloads, "sync", "backup"); null runs everything.</summary>
    public string? Only { get; init; }

    public int RecordsPerOrganization => MirrorRecords / Organizations;
    public int UsersPerOrganization => Users / Organizations;
    public int DeltasPerUser => OpenDeltas / Users;

    public static BenchmarkOptions ForPreset(string name) => name switch
    {
        "full" => new() { Preset = name, MirrorRecords = 1_000_000, Organizations = 20, Users = 200, OpenDeltas = 20_000,
            Warmup = 20, ReadIterations = 200, WriteIterations = 100, BulkIterations = 15, ConcurrentUsers = 50, ConcurrencyDuration = TimeSpan.FromSeconds(30) },
        "quick" => new() { Preset = name, MirrorRecords = 100_000, Organizations = 20, Users = 200, OpenDeltas = 20_000,
            Warmup = 10, ReadIterations = 100, WriteIterations = 50, BulkIterations = 6, ConcurrentUsers = 50, ConcurrencyDuration = TimeSpan.FromSeconds(15) },
        // Quick's load cost with the full preset's organization size: 2 × 50,000 lines, 10 users of 100 drafts each per organization.
        "org50k" => new() { Preset = name, MirrorRecords = 100_000, Organizations = 2, Users = 20, OpenDeltas = 2_000,
            Warmup = 10, ReadIterations = 100, WriteIterations = 50, BulkIterations = 6, ConcurrentUsers = 20, ConcurrencyDuration = TimeSpan.FromSeconds(15) },
        "smoke" => new() { Preset = name, MirrorRecords = 5_000, Organizations = 2, Users = 10, OpenDeltas = 200,
            Warmup = 1, ReadIterations = 3, WriteIterations = 3, BulkIterations = 2, ConcurrentUsers = 4, ConcurrencyDuration = TimeSpan.FromSeconds(2),
            SyncLines = 500, ThinkTime = TimeSpan.FromMilliseconds(100) },
        _ => throw new ArgumentException($"Unknown preset '{name}': full, quick, org50k, smoke, or scale (quick then full)."),
    };

    /// <summary>The runs a command line asks for: one preset, or for <c>--preset scale</c> quick then full (growth with org size).</summary>
    public static IReadOnlyList<BenchmarkOptions> ParseRuns(string[] args)
    {
        var preset = args.SkipWhile(a => a != "--preset").Skip(1).FirstOrDefault() ?? "quick";
        string[] presets = preset == "scale" ? ["quick", "full"] : [preset];
        return presets.Select(p => Parse(args, p)).ToList();
    }

    public static BenchmarkOptions Parse(string[] args, string? preset = null)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var options = ForPreset(preset ?? Arg("--preset") ?? "quick");
        if (Arg("--users") is { } users) options = options with { ConcurrentUsers = int.Parse(users) };
        if (Arg("--seconds") is { } seconds) options = options with { ConcurrencyDuration = TimeSpan.FromSeconds(int.Parse(seconds)) };
        if (Arg("--think-ms") is { } think) options = options with { ThinkTime = TimeSpan.FromMilliseconds(int.Parse(think)) };
        if (Arg("--out") is { } output) options = options with { OutputDirectory = output };
        if (Arg("--only") is { } only) options = options with { Only = only is "sync" or "backup" or "api" ? only : throw new ArgumentException($"Unknown workload group '{only}': api, sync, backup.") };
        if (Arg("--sync-lines") is { } syncLines) options = options with { SyncLines = int.Parse(syncLines) };
        return options;
    }
}
