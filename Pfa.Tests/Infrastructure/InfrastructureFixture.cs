using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Infrastructure;

/// <summary>
/// PostgreSQL (with the pfadb database) and Redis from the AppHost's own model, started once per test collection
/// with an ephemeral data directory and random ports. Tests that need only the data stores use this.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;
    public string DataDirectory { get; } = PfaApp.NewDataDirectory();
    public string PostgresConnectionString { get; private set; } = "";
    public string RedisConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var builder = (await PfaApp.CreateBuilderAsync(DataDirectory)).KeepOnly(PfaResources.Postgres, PfaResources.Database, PfaResources.Redis);
        App = await PfaApp.StartAsync(builder);
        PostgresConnectionString = (await App.GetConnectionStringAsync(PfaResources.Database, TestContext.Current.CancellationToken))!;
        RedisConnectionString = (await App.GetConnectionStringAsync(PfaResources.Redis, TestContext.Current.CancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        PfaApp.DeleteDataDirectory(DataDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "infrastructure";
}
