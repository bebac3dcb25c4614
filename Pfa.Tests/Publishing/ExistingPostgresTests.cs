using Pfa.ServiceDefaults;

namespace Pfa.Tests.Publishing;

/// <summary><c>Deploy:ExistingPostgres=true</c>: azd asks for pfadb's connection string and deploys no PostgreSQL (docs/deploy.md).</summary>
public sealed class ExistingPostgresTests
{
    [Fact]
    public async Task Pfadb_publishes_as_a_secret_connection_string_parameter_and_no_server()
    {
        using var run = await PublishRun.StartAsync(new Dictionary<string, string>(ManifestFixture.SentinelSecrets) { ["Deploy__ExistingPostgres"] = "true" });
        Assert.True(run.Result.ExitCode == 0, run.Result.Output);
        var resources = run.Manifest!["resources"]!.AsObject();

        var pfadb = resources[PfaResources.Database]!;
        Assert.Equal("parameter.v0", (string?)pfadb["type"]);
        Assert.Equal("{pfadb.value}", (string?)pfadb["connectionString"]);
        Assert.Equal("{pfadb.inputs.value}", (string?)pfadb["value"]);
        Assert.True((bool?)pfadb["inputs"]!["value"]!["secret"]);
        Assert.Null(pfadb["inputs"]!["value"]!["default"]); // asked for, never generated
        foreach (var gone in new[] { "pg", "pg-kv", "pg-password", "pg-username", "pgadmin" }) Assert.Null(resources[gone]);

        var api = resources[PfaResources.Api]!["env"]!.AsObject();
        Assert.Equal("{pfadb.connectionString}", (string?)api["ConnectionStrings__pfadb"]);
        Assert.DoesNotContain(api, e => e.Key.StartsWith("PFADB_", StringComparison.Ordinal)); // only the connection string is known
        Assert.NotNull(resources[PfaResources.Redis]); // the cache is still deployed

        Assert.Empty(ManifestRules.UnsupportedTypes(resources));
        Assert.Empty(ManifestRules.UnresolvedReferences(resources, run.OutputDirectory));
        Assert.Empty(ManifestRules.SecretsInClear(resources, ManifestFixture.SentinelSecrets.Values, run.PublishedFiles().Select(File.ReadAllText)));
    }
}
