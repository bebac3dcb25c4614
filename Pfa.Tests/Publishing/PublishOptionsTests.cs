using System.Text.Json.Nodes;
using Pfa.Hosting;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Publishing;

namespace Pfa.Tests.Publishing;

/// <summary>The publish-mode choices of the app model, on the Pfa shape, built in-process (no AppHost process needed).</summary>
public sealed class PublishOptionsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pfa-publish-" + Guid.NewGuid().ToString("N")[..8]);

    private static (IDistributedApplicationBuilder Builder, IResourceBuilder<PostgresDatabaseResource> Db) PfaShape()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--publisher", "manifest", "--output-path", "unused.json"],
            AppHostAssembly = typeof(PublishOptionsTests).Assembly,
        });
        var pg = builder.AddPostgres("pg").WithPgAdmin().PublishAsAzurePostgresFlexibleServer();
        var db = pg.AddDatabase("pfadb");
        var cache = builder.AddRedis("cache").PublishAsAzureRedis();
        builder.AddProject("api", Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.Api", "Pfa.Api.csproj"))
            .WithReference(db).WithReference(cache);
        return (builder, db);
    }

    [Fact]
    public void Existing_PostgreSQL_publishes_as_a_secret_connection_string_parameter_and_no_server()
    {
        var (builder, db) = PfaShape();
        db.PublishAsConnectionString();
        var path = ManifestPublisher.Write(builder.Resources, Path.Combine(_directory, "m.json"));
        var resources = JsonNode.Parse(File.ReadAllText(path))!["resources"]!.AsObject();

        var pfadb = resources["pfadb"]!;
        Assert.Equal("parameter.v0", (string?)pfadb["type"]);
        Assert.Equal("{pfadb.value}", (string?)pfadb["connectionString"]);
        Assert.True((bool?)pfadb["inputs"]!["value"]!["secret"]);
        Assert.Null(pfadb["inputs"]!["value"]!["default"]);
        foreach (var gone in new[] { "pg", "pg-kv", "pg-password", "pg-username", "pgadmin" }) Assert.Null(resources[gone]);
        Assert.False(File.Exists(Path.Combine(_directory, "pg.module.bicep")));
        Assert.Equal("{pfadb.connectionString}", (string?)resources["api"]!["env"]!["ConnectionStrings__pfadb"]);

        Assert.Empty(ManifestRules.UnsupportedTypes(resources));
        Assert.Empty(ManifestRules.UnresolvedReferences(resources, _directory));
        Assert.Empty(ManifestRules.SecretsInClear(resources, [], []));
    }

    [Fact]
    public void Customised_modules_in_infra_replace_the_generated_ones_and_synthesis_writes_them_there()
    {
        var (builder, _) = PfaShape();
        var infra = Path.Combine(_directory, "apphost", "infra");
        var output = Path.Combine(_directory, "out");

        // Synthesis: the generated modules land in infra/ and the manifest refers to them there, relatively.
        var path = ManifestPublisher.Write(builder.Resources, output, infra, synthesizeInfra: true);
        Assert.Equal(Path.Combine(output, ManifestPublisher.DefaultFileName), path);
        Assert.Equal(["cache-kv.module.bicep", "cache.module.bicep", "pg-kv.module.bicep", "pg.module.bicep"],
            Directory.EnumerateFiles(infra).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(output, "*.bicep"));
        var resources = JsonNode.Parse(File.ReadAllText(path))!["resources"]!.AsObject();
        Assert.Equal("../apphost/infra/pg.module.bicep", (string?)resources["pg"]!["path"]);
        Assert.Empty(ManifestRules.UnresolvedReferences(resources, output));

        // A customisation is kept: publishing again neither overwrites nor regenerates it.
        var custom = File.ReadAllText(Path.Combine(infra, "pg.module.bicep")).Replace("Standard_B1ms", "Standard_D2ds_v5", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(infra, "pg.module.bicep"), custom);
        ManifestPublisher.Write(builder.Resources, output, infra);
        Assert.Contains("Standard_D2ds_v5", File.ReadAllText(Path.Combine(infra, "pg.module.bicep")));
        Assert.False(File.Exists(Path.Combine(output, "pg.module.bicep")));
    }

    [Fact]
    public void A_reference_to_a_development_only_resource_fails_publishing_with_a_clear_message()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--publisher", "manifest", "--output-path", "unused.json"],
            AppHostAssembly = typeof(PublishOptionsTests).Assembly,
        });
        var pems = builder.AddProject("pems", Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.PemsSimulator", "Pfa.PemsSimulator.csproj")).ExcludeFromManifest();
        builder.AddProject("syncworker", Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.SyncWorker", "Pfa.SyncWorker.csproj")).WithReference(pems);

        var error = Assert.Throws<DistributedApplicationException>(() => ManifestPublisher.Build(builder.Resources, _directory));
        Assert.Contains("'pems', which is excluded from the manifest", error.Message);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
