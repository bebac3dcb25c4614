namespace Pfa.PemsSimulator;

/// <summary>Section "PemsSimulator": seed, credentials, storage and faults.</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "PemsSimulator";

    public int Seed { get; set; } = 20_251_124;
    /// <summary>Empty means <see cref="DefaultOrganizations"/> (a list default would be appended to by the binder).</summary>
    public List<string> Organizations { get; set; } = [];

    public static readonly string[] DefaultOrganizations = ["RIO", "PORTARTHUR", "HOLNG"];
    public int RecordsPerOrganization { get; set; } = 2_000;

    public string Tenant { get; set; } = "BECHTEL_DEV";
    public string UserName { get; set; } = "PFA_SERVICE";
    public string Password { get; set; } = "simulator";

    /// <summary>Header organization accepted for cross-organization calls (the original app used BECH).</summary>
    public string CorporateOrganization { get; set; } = "BECH";

    /// <summary>Where edits are journalled so they survive restarts; empty keeps everything in memory.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>PEMS's page cap; lower it only in tests.</summary>
    public int MaxPageSize { get; set; } = Pfa.Pems.Grid.CupfagGrid.MaxPageSize;

    public bool EnableAdmin { get; set; } = true;

    public FaultOptions Faults { get; set; } = new();
}

/// <summary>Background faults applied to /axis calls; also changeable at runtime via PUT /admin/faults.</summary>
public sealed class FaultOptions
{
    public int LatencyMs { get; set; }

    /// <summary>Requests per second above which PEMS answers 429; 0 = no limit.</summary>
    public int RateLimitPerSecond { get; set; }

    public double ServerErrorRatio { get; set; }
    public double TimeoutRatio { get; set; }
    public double TruncateRatio { get; set; }
    public double MalformedRatio { get; set; }

    /// <summary>How long a "timeout" request hangs before answering 504 (the client should give up first).</summary>
    public int TimeoutHangMs { get; set; } = 120_000;

    /// <summary>Bytes of the real body sent before a truncated response ends.</summary>
    public int TruncateAfterBytes { get; set; } = 512;

    public int? Seed { get; set; }
}
