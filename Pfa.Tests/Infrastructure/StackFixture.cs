using Pfa.Hosting;
using Pfa.Hosting.Orchestration;
using Pfa.Hosting.Testing;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// The whole stack (every resource of the AppHost) started once per test collection, like
/// Aspire.Hosting.Testing: real processes, random ports, an ephemeral data directory.
/// Records every resource state change so tests can check ordering.
/// </summary>
public sealed class StackFixture : IAsyncLifetime
{
    private readonly List<(DateTime At, ResourceSnapshot Snapshot)> _timeline = [];

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The OTLP collector address handed to the services (nothing listens; exporters just retry).</summary>
    public const string OtlpEndpoint = "http://127.0.0.1:4317";

    public IReadOnlyList<(DateTime At, ResourceSnapshot Snapshot)> Timeline
    {
        get { lock (_timeline) return _timeline.ToList(); }
    }

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(
            configure: o => o.ConfigurationOverrides["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = OtlpEndpoint);
        App = builder.Build();
        App.ResourceNotifications.SnapshotChanged += s => { lock (_timeline) _timeline.Add((DateTime.UtcNow, s)); };
        try
        {
            await App.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await App.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
