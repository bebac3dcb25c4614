using Aspire.Hosting;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// The whole stack (every resource of the AppHost) started once per test collection through Aspire.Hosting.Testing:
/// real processes under DCP, random ports, an ephemeral data directory.
/// </summary>
public sealed class StackFixture : IAsyncLifetime
{
    public const string OtlpEndpoint = PfaApp.OtlpEndpoint;

    public DistributedApplication App { get; private set; } = null!;
    public string DataDirectory { get; } = PfaApp.NewDataDirectory();

    public async ValueTask InitializeAsync() => App = await PfaApp.StartAsync(await PfaApp.CreateBuilderAsync(DataDirectory));

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        PfaApp.DeleteDataDirectory(DataDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
