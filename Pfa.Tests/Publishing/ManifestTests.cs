using System.Text.Json.Nodes;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Publishing;

/// <summary>The manifest the AppHost writes for azd, checked the way azd reads it.</summary>
[Collection(ManifestCollection.Name)]
public sealed class ManifestTests(ManifestFixture fixture)
{
    private static readonly string[] Projects = [PfaResources.Api, PfaResources.SyncWorker, PfaResources.Web];

    [Fact]
    public void Publish_mode_writes_the_manifest_at_the_given_path_exits_zero_and_starts_nothing()
    {
        Assert.True(fixture.Result.ExitCode == 0, $"exit code {fixture.Result.ExitCode}\n{fixture.Result.Output}");
        Assert.True(File.Exists(fixture.ManifestPath), fixture.Result.Output);
        Assert.Contains("Published manifest to", fixture.Result.Output, StringComparison.Ordinal); // Aspire's own publisher
        // Run mode would create its data directory and start servers; publish mode must not touch it.
        Assert.False(Directory.Exists(fixture.Run.DataDirectory), "publish mode created the run-mode data directory");
        Assert.True(fixture.Result.Elapsed < TimeSpan.FromSeconds(30), $"publishing took {fixture.Result.Elapsed}");
    }

    [Fact]
    public void Only_resource_types_azd_accepts_are_used()
    {
        Assert.Empty(ManifestRules.UnsupportedTypes(fixture.Resources));
        Assert.Equal(["resources"], fixture.Manifest.Select(p => p.Key));
    }

    [Fact]
    public void Every_expression_resolves_to_a_defined_resource_and_property()
    {
        Assert.Empty(ManifestRules.UnresolvedReferences(fixture.Resources, fixture.OutputDirectory));
    }

    [Fact]
    public void Bindings_are_what_azd_turns_into_ingress()
    {
        Assert.Empty(ManifestRules.BindingProblems(fixture.Resources));
        foreach (var name in Projects)
        {
            var bindings = fixture.Resource(name)["bindings"]!.AsObject();
            Assert.Equal(["http", "https"], bindings.Select(b => b.Key));
            foreach (var (scheme, binding) in bindings)
            {
                Assert.Equal(scheme, (string?)binding!["scheme"]);
                Assert.Equal("tcp", (string?)binding["protocol"]);
                Assert.Equal("http", (string?)binding["transport"]);
                // Only the web front end is public (WithExternalHttpEndpoints).
                Assert.Equal(name == PfaResources.Web, (bool?)binding["external"] ?? false);
            }
        }
    }

    [Fact]
    public void No_secret_value_appears_in_clear()
    {
        var published = fixture.Run.PublishedFiles().Select(File.ReadAllText).Append(fixture.Result.Output).ToList();
        Assert.True(published.Count >= 4, "expected the manifest and its three Bicep modules");
        Assert.Empty(ManifestRules.SecretsInClear(fixture.Resources, ManifestFixture.SentinelSecrets.Values, published));

        foreach (var name in new[] { PfaResources.PostgresPassword, PfaResources.PemsPassword, PfaResources.JwtKey, PfaResources.AdminPassword })
        {
            var input = fixture.Resource(name)["inputs"]!["value"]!;
            Assert.True((bool?)input["secret"], $"{name} must be a secret input");
        }
    }

    [Fact]
    public void Generated_secrets_carry_Aspires_generate_defaults()
    {
        var password = fixture.Resource(PfaResources.PostgresPassword);
        Assert.Equal("parameter.v0", (string?)password["type"]);
        Assert.Equal("{pg-password.inputs.value}", (string?)password["value"]);
        Assert.Equal(22, (int?)password["inputs"]!["value"]!["default"]!["generate"]!["minLength"]);
        Assert.Equal("{pg-password.value}", (string?)fixture.Resource("pg-password-uri-encoded")["value"]);
        Assert.Equal("uri", (string?)fixture.Resource("pg-password-uri-encoded")["filter"]);
        // The flexible server's administrator login is generated too ("postgres" is reserved there).
        var user = fixture.Resource("pg-username")["inputs"]!["value"]!;
        Assert.Equal(10, (int?)user["default"]!["generate"]!["minLength"]);
        // The first administrator's password: generated, secret, 20 characters.
        Assert.Equal(20, (int?)fixture.Resource(PfaResources.AdminPassword)["inputs"]!["value"]!["default"]!["generate"]!["minLength"]);
    }

    [Fact]
    public void Project_paths_are_relative_and_exist()
    {
        foreach (var (name, node) in fixture.Resources)
        {
            if ((string?)node!["path"] is not { } path) continue;
            Assert.False(Path.IsPathRooted(path), $"{name}: '{path}' is absolute");
            Assert.DoesNotContain('\\', path);
            Assert.True(File.Exists(Path.Combine(fixture.OutputDirectory, path)), $"{name}: '{path}' does not exist relative to the manifest");
        }
        Assert.EndsWith("Pfa.Api/Pfa.Api.csproj", (string?)fixture.Resource(PfaResources.Api)["path"]);
    }

    [Fact]
    public void Projects_get_Aspires_environment()
    {
        var api = fixture.Resource(PfaResources.Api)["env"]!.AsObject();
        Assert.Equal("in_memory", (string?)api["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"]);
        Assert.Equal("true", (string?)api["ASPNETCORE_FORWARDEDHEADERS_ENABLED"]);
        Assert.Equal("{api.bindings.http.targetPort}", (string?)api["HTTP_PORTS"]);
        Assert.Equal("{pfadb.connectionString}", (string?)api["ConnectionStrings__pfadb"]);
        Assert.Equal("{cache.connectionString}", (string?)api["ConnectionStrings__cache"]);
        Assert.Equal("{jwt-key.value}", (string?)api["Jwt__Key"]);
        Assert.Equal("{admin-password.value}", (string?)api["Bootstrap__AdminPassword"]);
        Assert.Equal("true", (string?)api["Database__MigrateOnStartup"]);
        // Connection properties are the managed services', as Aspire's Azure integrations give them.
        Assert.Equal("pfadb", (string?)api["PFADB_DATABASENAME"]);
        Assert.Equal("{pg.outputs.hostName}", (string?)api["PFADB_HOST"]);
        Assert.Equal("5432", (string?)api["PFADB_PORT"]);
        Assert.Equal("{pg-username.value}", (string?)api["PFADB_USERNAME"]);
        Assert.Equal("{pg-password.value}", (string?)api["PFADB_PASSWORD"]);
        Assert.Equal("{cache.outputs.hostName}", (string?)api["CACHE_HOST"]);
        Assert.Equal("6380", (string?)api["CACHE_PORT"]);
        Assert.Null(api["CACHE_PASSWORD"]); // the access key lives in the Key Vault only
        Assert.DoesNotContain(ManifestRules.Strings(fixture.Manifest), v => v.Contains(".bindings.tcp.", StringComparison.Ordinal));

        var web = fixture.Resource(PfaResources.Web)["env"]!.AsObject();
        Assert.Equal("{api.bindings.http.url}", (string?)web["services__api__http__0"]);
        Assert.Equal("{api.bindings.https.url}", (string?)web["services__api__https__0"]);
        Assert.Equal("{api.bindings.http.url}", (string?)web["API_HTTP"]);
        Assert.Equal("{api.bindings.https.url}", (string?)web["API_HTTPS"]);
    }

    [Fact]
    public void Development_resources_are_excluded_and_production_PEMS_comes_from_parameters()
    {
        Assert.Null(fixture.Resources[PfaResources.PemsSimulator]);
        Assert.Null(fixture.Resources[PfaResources.PgAdmin]);
        Assert.DoesNotContain(ManifestRules.Strings(fixture.Manifest), s => s.Contains("{pems.", StringComparison.Ordinal));

        // The worker syncs; the API lists PEMS's organizations for the organizations admin: one set of parameters for both.
        foreach (var service in new[] { PfaResources.SyncWorker, PfaResources.Api })
        {
            var env = fixture.Resource(service)["env"]!.AsObject();
            Assert.Equal("{pems-url.value}", (string?)env["services__pems__http__0"]);
            Assert.Equal("{pems-tenant.value}", (string?)env["PEMS_TENANT"]);
            Assert.Equal("{pems-username.value}", (string?)env["PEMS_USERNAME"]);
            Assert.Equal("{pems-password.value}", (string?)env["PEMS_PASSWORD"]);
        }
        foreach (var name in new[] { PfaResources.PemsUrl, PfaResources.PemsTenant, PfaResources.PemsUsername, PfaResources.PemsPassword })
        {
            // No default: azd prompts for these on the first `azd up`.
            Assert.Null(fixture.Resource(name)["inputs"]!["value"]!["default"]);
        }
    }

    [Fact]
    public void PostgreSQL_and_Redis_are_managed_Azure_services_from_committed_bicep_modules()
    {
        var pg = fixture.Resource(PfaResources.Postgres);
        Assert.Equal("azure.bicep.v0", (string?)pg["type"]);
        Assert.EndsWith("Pfa.AppHost/infra/postgres-flexible-server.module.bicep", (string?)pg["path"]);
        Assert.Equal("{pg-username.value}", (string?)pg["params"]!["administratorLogin"]);
        Assert.Equal("{pg-password.value}", (string?)pg["params"]!["administratorLoginPassword"]);
        Assert.Equal("{pg-kv.outputs.name}", (string?)pg["params"]!["keyVaultName"]);
        Assert.Equal("pfadb", (string?)pg["params"]!["databases"]); // azd creates no databases: the module does
        // The migrations create pg_trgm: Azure must allow-list it or the API's first migration fails.
        Assert.Equal("PG_TRGM", (string?)pg["params"]!["extensions"]);
        Assert.Equal("{pg-kv.secrets.connectionstrings--pg}", (string?)pg["connectionString"]);
        Assert.Null(pg["image"]);

        var db = fixture.Resource(PfaResources.Database);
        Assert.Equal("value.v0", (string?)db["type"]);
        Assert.Equal("{pg-kv.secrets.connectionstrings--pfadb}", (string?)db["connectionString"]);

        var cache = fixture.Resource(PfaResources.Redis);
        Assert.Equal("azure.bicep.v0", (string?)cache["type"]);
        Assert.EndsWith("Pfa.AppHost/infra/redis-cache.module.bicep", (string?)cache["path"]);
        Assert.Equal("{cache-kv.outputs.name}", (string?)cache["params"]!["keyVaultName"]);
        Assert.Equal("{cache-kv.secrets.connectionstrings--cache}", (string?)cache["connectionString"]);
        // Azure Cache for Redis has its own access keys: no generated password, no TLS-conditional fragment.
        Assert.Null(fixture.Resources[PfaResources.RedisPassword]);
        Assert.DoesNotContain(fixture.Resources, r => r.Key.StartsWith("cond-", StringComparison.Ordinal));

        foreach (var vault in new[] { "pg-kv", "cache-kv" })
        {
            var kv = fixture.Resource(vault);
            Assert.Equal("azure.bicep.v0", (string?)kv["type"]);
            Assert.EndsWith("Pfa.AppHost/infra/key-vault.module.bicep", (string?)kv["path"]);
            Assert.Equal($"{{{vault}.outputs.vaultUri}}", (string?)kv["connectionString"]);
            // Empty: azd fills in the container apps' identity, which may then read the secrets.
            Assert.Equal("", (string?)kv["params"]!["principalId"]);
            Assert.Equal("", (string?)kv["params"]!["principalType"]);
        }
    }

    [Fact]
    public void Volumes_and_container_forms_of_the_data_stores_are_not_published()
    {
        Assert.DoesNotContain(fixture.Resources, r => r.Value!["volumes"] is not null);
        Assert.Equal(["api", "syncworker", "web"], fixture.Resources.Where(r => (string?)r.Value!["type"] == "project.v0").Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(fixture.Resources, r => (string?)r.Value!["type"] is "container.v0" or "container.v1" or "executable.v0");
    }

    [Fact]
    public void Manifest_is_indented_utf8_json_like_Aspires()
    {
        var text = File.ReadAllText(fixture.ManifestPath);
        Assert.StartsWith("{\n  \"resources\": {", text.ReplaceLineEndings("\n"));
        Assert.NotNull(JsonNode.Parse(text));
    }
}
