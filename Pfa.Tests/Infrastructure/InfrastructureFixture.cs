using Pfa.Hosting;
using Pfa.Hosting.Testing;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// PostgreSQL (with the pfadb database) and Redis from the AppHost's own model, started once per test collection
/// with an ephemeral data directory and random ports. Tests that need only the data stores use this.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;
    public string PostgresConnectionString { get; private set; } = "";
    public string RedisConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        App = await DistributedApplicationTestingBuilder.StartAsync<Projects.Pfa_AppHost>(
            o => o.OnlyResources = [PfaResources.Database, PfaResources.Redis], TestContext.Current.CancellationToken);
        PostgresConnectionString = (await App.GetConnectionStringAsync(PfaResources.Database))!;
        RedisConnectionString = (await App.GetConnectionStringAsync(PfaResources.Redis))!;
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "infrastructure";
}
