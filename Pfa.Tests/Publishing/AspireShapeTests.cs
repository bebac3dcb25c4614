using System.Text.Json.Nodes;
using Pfa.Hosting;
using Pfa.Hosting.Publishing;

namespace Pfa.Tests.Publishing;

/// <summary>
/// The container forms (what publishes when PublishAsAzure… is not called) against what Aspire 13 writes for the same
/// model: the TestShop playground's postgres/catalogdb/basketcache. The structural expectations always run; the
/// byte-for-byte comparison with Aspire's own output needs ../shared/reference and is skipped without it.
/// </summary>
public sealed class AspireShapeTests
{
    private static (JsonObject Resources, string Directory) PublishTestShopShape()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--publisher", "manifest", "--output-path", "unused.json"],
            AppHostAssembly = typeof(AspireShapeTests).Assembly,
        });
        var postgres = builder.AddPostgres("postgres");
        var catalogdb = postgres.AddDatabase("catalogdb");
        var basketcache = builder.AddRedis("basketcache");
        builder.AddProject("catalogservice", Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.Api", "Pfa.Api.csproj"))
            .WithReference(catalogdb);
        builder.AddProject("basketservice", Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.Web", "Pfa.Web.csproj"))
            .WithReference(basketcache);
        var directory = Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.AppHost");
        var (manifest, modules) = ManifestPublisher.Build(builder.Resources, directory);
        Assert.Empty(modules);
        return (manifest["resources"]!.AsObject(), directory);
    }

    [Fact]
    public void Container_forms_have_Aspires_images_env_bindings_and_connection_strings()
    {
        var (resources, directory) = PublishTestShopShape();
        Assert.Empty(ManifestRules.UnsupportedTypes(resources));
        Assert.Empty(ManifestRules.UnresolvedReferences(resources, directory));
        Assert.Empty(ManifestRules.BindingProblems(resources));

        var pg = resources["postgres"]!;
        Assert.Equal("container.v0", (string?)pg["type"]);
        Assert.Equal("docker.io/library/postgres:17.6", (string?)pg["image"]);
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}", (string?)pg["connectionString"]);
        Assert.Equal(5432, (int?)pg["bindings"]!["tcp"]!["targetPort"]);
        Assert.Equal("{postgres.connectionString};Database=catalogdb", (string?)resources["catalogdb"]!["connectionString"]);

        var redis = resources["basketcache"]!;
        Assert.Equal("docker.io/library/redis:8.6", (string?)redis["image"]);
        Assert.Equal("redis", (string?)redis["bindings"]!["tcp"]!["scheme"]);
        Assert.Equal(6379, (int?)redis["bindings"]!["tcp"]!["targetPort"]);
        Assert.Equal("{basketcache.bindings.tcp.host}:{basketcache.bindings.tcp.port},password={basketcache-password.value}", (string?)redis["connectionString"]);
        Assert.False((bool?)resources["basketcache-password"]!["inputs"]!["value"]!["default"]!["generate"]!["special"]);
    }

    [Fact]
    public void Container_forms_equal_what_Aspire_13_writes()
    {
        var dir = PublishingEnvironment.SharedManifestReference;
        if (dir is null) Assert.Skip("../shared/reference/aspire-manifest is not present on this machine: the comparison with Aspire's own TestShop manifest was skipped (the structural test above still ran).");
        var aspire = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "testshop-aspire-manifest.json")))!["resources"]!.AsObject();
        var (ours, _) = PublishTestShopShape();

        // Aspire's extras we deliberately leave out: data volumes (no Azure Files volume for databases on ACA) and the
        // always-empty TLS-conditional suffix of the Redis connection string.
        var expectedPg = aspire["postgres"]!.DeepClone().AsObject();
        expectedPg.Remove("volumes");
        var expectedRedis = aspire["basketcache"]!.DeepClone().AsObject();
        expectedRedis.Remove("volumes");
        var cs = (string)expectedRedis["connectionString"]!;
        expectedRedis["connectionString"] = cs[..cs.IndexOf("{cond-", StringComparison.Ordinal)];

        AssertJsonEqual(expectedPg, ours["postgres"]!);
        AssertJsonEqual(aspire["catalogdb"]!, ours["catalogdb"]!);
        AssertJsonEqual(expectedRedis, ours["basketcache"]!);
        AssertJsonEqual(aspire["postgres-password"]!, ours["postgres-password"]!);
        AssertJsonEqual(aspire["basketcache-password"]!, ours["basketcache-password"]!);
        AssertJsonEqual(aspire["postgres-password-uri-encoded"]!, ours["postgres-password-uri-encoded"]!);

        // Projects: same env (minus paths, which differ) as Aspire's catalogservice and basketservice.
        AssertJsonEqual(aspire["catalogservice"]!["env"]!, ours["catalogservice"]!["env"]!);
        AssertJsonEqual(aspire["catalogservice"]!["bindings"]!, ours["catalogservice"]!["bindings"]!);
        var basketEnv = ours["basketservice"]!["env"]!.AsObject();
        foreach (var key in new[] { "OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "ASPNETCORE_FORWARDEDHEADERS_ENABLED", "HTTP_PORTS", "ConnectionStrings__basketcache", "BASKETCACHE_HOST", "BASKETCACHE_PORT", "BASKETCACHE_PASSWORD", "BASKETCACHE_URI" })
        {
            Assert.Equal((string?)aspire["basketservice"]!["env"]![key], (string?)basketEnv[key]);
        }
    }

    private static void AssertJsonEqual(JsonNode expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected\n{expected.ToJsonString()}\nactual\n{actual.ToJsonString()}");
}
