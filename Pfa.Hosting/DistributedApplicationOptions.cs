namespace Pfa.Hosting;

/// <summary>How the AppHost runs. Everything here can also come from configuration (section <c>AppHost</c>).</summary>
public sealed class DistributedApplicationOptions
{
    public string[] Args { get; set; } = [];

    /// <summary>Where servers keep their data, logs and the AppHost's state file. Null: the default for this user.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Throw the data directory away on dispose (tests).</summary>
    public bool EphemeralData { get; set; }

    /// <summary>Ignore stable default ports and pick free ones (tests; several apps side by side).</summary>
    public bool RandomizePorts { get; set; }

    /// <summary>Print the resource table and prefixed resource output to the console.</summary>
    public bool ConsoleOutput { get; set; } = true;

    /// <summary>Start only these resources plus everything they reference or wait for; null starts all.</summary>
    public IReadOnlyCollection<string>? OnlyResources { get; set; }

    /// <summary>How long a WaitFor may wait for a dependency to become healthy.</summary>
    public TimeSpan? WaitTimeout { get; set; }

    /// <summary>Trade durability for speed in PostgreSQL (fsync off); right for throw-away test data only.</summary>
    public bool FastUnsafeStorage { get; set; }

    /// <summary>The AppHost's environment (Development turns on Aspire's fast OTEL intervals); null: DOTNET_ENVIRONMENT.</summary>
    public string? EnvironmentName { get; set; }

    /// <summary>Started by the testing builder: parameters live in the data directory, never in the developer's user secrets.</summary>
    public bool IsTesting { get; set; }

    /// <summary>Launch the dashboard and host its resource service (run mode); null: <c>AppHost:Dashboard:Enabled</c>, default on.</summary>
    public bool? DashboardEnabled { get; set; }

    /// <summary>Configuration overriding everything else (tests).</summary>
    public IDictionary<string, string?> ConfigurationOverrides { get; } = new Dictionary<string, string?>();

    /// <summary>The assembly whose name and user-secrets id identify the AppHost; defaults to the entry assembly.</summary>
    public System.Reflection.Assembly? AppHostAssembly { get; set; }
}

/// <summary>Run (start everything) or Publish (write the deployment manifest and exit), as in Aspire.</summary>
public enum DistributedApplicationOperation { Run, Publish }

public sealed class DistributedApplicationExecutionContext(DistributedApplicationOperation operation, string? publisherName = null, string? outputPath = null)
{
    public DistributedApplicationOperation Operation { get; } = operation;
    public string? PublisherName { get; } = publisherName;
    public string? OutputPath { get; } = outputPath;
    public bool IsRunMode => Operation == DistributedApplicationOperation.Run;
    public bool IsPublishMode => Operation == DistributedApplicationOperation.Publish;
}
