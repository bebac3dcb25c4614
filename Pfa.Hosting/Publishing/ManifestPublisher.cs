using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Orchestration;

namespace Pfa.Hosting.Publishing;

/// <summary>
/// Writes the Aspire deployment manifest (aspire-contract.md §2) the way Aspire 13 does, limited to the resource
/// types azd accepts: <c>project.v0</c>, <c>container.v0</c>, <c>value.v0</c>, <c>parameter.v0</c>,
/// <c>annotated.string</c> and <c>azure.bicep.v0</c>. Paths are relative to the manifest's directory.
/// </summary>
public static partial class ManifestPublisher
{
    public const string DefaultFileName = "aspire-manifest.json";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        // As Aspire: '+', '\'' and '&' stay readable in connection strings and arguments.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes the manifest (and the Bicep modules it refers to); returns the manifest's full path.
    /// A module found as <c>{infraDirectory}/{name}.module.bicep</c> is used as it is (customised infrastructure)
    /// instead of being generated; <paramref name="synthesizeInfra"/> writes the missing ones there first.
    /// </summary>
    public static string Write(IReadOnlyList<IResource> resources, string outputPath, string? infraDirectory = null, bool synthesizeInfra = false)
    {
        // A path ending in .json is the file; anything else is a directory that receives aspire-manifest.json.
        var full = Path.GetFullPath(outputPath);
        var file = full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? full : Path.Combine(full, DefaultFileName);
        var directory = Path.GetDirectoryName(file)!;
        Directory.CreateDirectory(directory);

        var (manifest, modules) = Build(resources, directory, infraDirectory);
        if (synthesizeInfra && infraDirectory is not null && modules.Count > 0)
        {
            // Write the generated modules into infra/ once (existing files are kept), then refer to them there.
            Directory.CreateDirectory(infraDirectory);
            foreach (var (name, text) in modules) File.WriteAllText(Path.Combine(infraDirectory, name), text);
            (manifest, modules) = Build(resources, directory, infraDirectory);
        }
        foreach (var (name, text) in modules) File.WriteAllText(Path.Combine(directory, name), text);
        File.WriteAllText(file, manifest.ToJsonString(s_json));
        return file;
    }

    /// <summary>The manifest as JSON, plus the Bicep module files (name → text) it refers to.</summary>
    public static (JsonObject Manifest, IReadOnlyDictionary<string, string> Modules) Build(IReadOnlyList<IResource> resources, string manifestDirectory,
        string? infraDirectory = null)
    {
        var context = new Context(manifestDirectory, infraDirectory);
        var published = resources.Where(r => !r.Annotations.OfType<ExcludeFromManifestAnnotation>().Any()).ToList();

        foreach (var resource in published.Where(r => r is not ParameterResource))
        {
            switch (resource)
            {
                case PostgresServerResource server: WritePostgres(context, server); break;
                case PostgresDatabaseResource database: WriteDatabase(context, database); break;
                case RedisResource redis: WriteRedis(context, redis); break;
                case ProjectResource project: WriteProject(context, project, published); break;
                default:
                    throw new DistributedApplicationException(
                        $"Resource '{resource.Name}' ({resource.Kind}) has no deployment form; call ExcludeFromManifest() on it if it is for development only.");
            }
        }

        // Parameters last, as Aspire writes them, each followed by its URI-encoded form when something uses it.
        foreach (var parameter in published.OfType<ParameterResource>()) WriteParameter(context, parameter);

        var resourcesNode = new JsonObject();
        foreach (var (name, node) in context.Resources) resourcesNode[name] = node;
        var manifest = new JsonObject { ["resources"] = resourcesNode };

        var dangling = FindDanglingReferences(manifest).ToList();
        if (dangling.Count > 0)
        {
            throw new DistributedApplicationException(
                $"The manifest refers to resources it does not define: {string.Join(", ", dangling.Distinct())}. " +
                "A reference to a development-only resource must be replaced by parameters in publish mode.");
        }
        return (manifest, context.Modules);
    }

    private static void WritePostgres(Context context, PostgresServerResource server)
    {
        // Every database points at an existing server: nothing to deploy for the server itself.
        if (server.Databases.Count > 0 && server.Databases.All(IsConnectionStringParameter)) return;

        if (server.Annotations.OfType<AzurePostgresFlexibleServerAnnotation>().FirstOrDefault() is { } azure)
        {
            var userName = azure.UserNameParameter ?? throw new DistributedApplicationException(
                $"Resource '{server.Name}': PublishAsAzurePostgresFlexibleServer() must be called while the builder is in publish mode.");
            var kv = WriteKeyVault(context, server.Name);
            var moduleFile = context.Module($"{server.Name}.module.bicep", () => BicepModules.PostgresFlexibleServer(server, azure));
            context.Add(server.Name, new JsonObject
            {
                ["type"] = "azure.bicep.v0",
                ["connectionString"] = $"{{{kv}.secrets.{BicepModules.SecretName(server.Name)}}}",
                ["path"] = moduleFile,
                ["params"] = new JsonObject
                {
                    ["administratorLogin"] = $"{{{userName.Name}.value}}",
                    ["administratorLoginPassword"] = $"{{{server.PasswordParameter.Name}.value}}",
                    ["keyVaultName"] = $"{{{kv}.outputs.name}}",
                },
            });
            return;
        }

        // No data volume: Azure Files volumes do not suit PostgreSQL on ACA (the aspire-shop sample adds it in run mode only).
        context.Add(server.Name, new JsonObject
        {
            ["type"] = "container.v0",
            ["connectionString"] = server.ConnectionStringExpression,
            ["image"] = "docker.io/library/postgres:17.6",
            ["env"] = new JsonObject
            {
                ["POSTGRES_HOST_AUTH_METHOD"] = "scram-sha-256",
                ["POSTGRES_INITDB_ARGS"] = "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
                ["POSTGRES_USER"] = server.UserName,
                ["POSTGRES_PASSWORD"] = $"{{{server.PasswordParameter.Name}.value}}",
            },
            ["bindings"] = new JsonObject { ["tcp"] = TcpBinding("tcp", 5432) },
        });
    }

    private static void WriteDatabase(Context context, PostgresDatabaseResource database)
    {
        if (IsConnectionStringParameter(database))
        {
            context.Add(database.Name, new JsonObject
            {
                ["type"] = "parameter.v0",
                ["connectionString"] = $"{{{database.Name}.value}}",
                ["value"] = $"{{{database.Name}.inputs.value}}",
                ["inputs"] = new JsonObject { ["value"] = new JsonObject { ["type"] = "string", ["secret"] = true } },
            });
            return;
        }
        var connectionString = IsAzure(database.Server)
            ? $"{{{KeyVaultName(database.Server.Name)}.secrets.{BicepModules.SecretName(database.Name)}}}"
            : database.ConnectionStringExpression;
        context.Add(database.Name, new JsonObject { ["type"] = "value.v0", ["connectionString"] = connectionString });
    }

    private static void WriteRedis(Context context, RedisResource redis)
    {
        if (redis.Annotations.OfType<AzureRedisAnnotation>().FirstOrDefault() is { } azure)
        {
            var kv = WriteKeyVault(context, redis.Name);
            var moduleFile = context.Module($"{redis.Name}.module.bicep", () => BicepModules.Redis(redis, azure));
            context.Add(redis.Name, new JsonObject
            {
                ["type"] = "azure.bicep.v0",
                ["connectionString"] = $"{{{kv}.secrets.{BicepModules.SecretName(redis.Name)}}}",
                ["path"] = moduleFile,
                ["params"] = new JsonObject { ["keyVaultName"] = $"{{{kv}.outputs.name}}" },
            });
            return;
        }

        context.Add(redis.Name, new JsonObject
        {
            ["type"] = "container.v0",
            ["connectionString"] = redis.ConnectionStringExpression,
            ["image"] = "docker.io/library/redis:8.6",
            ["entrypoint"] = "/bin/sh",
            ["args"] = new JsonArray("-c", "redis-server --requirepass $REDIS_PASSWORD --save 60 1"),
            ["env"] = new JsonObject { ["REDIS_PASSWORD"] = $"{{{redis.PasswordParameter.Name}.value}}" },
            ["bindings"] = new JsonObject { ["tcp"] = TcpBinding("redis", 6379) },
        });
    }

    private static string WriteKeyVault(Context context, string ownerName)
    {
        var name = KeyVaultName(ownerName);
        var moduleFile = context.Module($"{name}.module.bicep", () => BicepModules.KeyVault(name));
        context.Add(name, new JsonObject
        {
            ["type"] = "azure.bicep.v0",
            ["connectionString"] = $"{{{name}.outputs.vaultUri}}",
            ["path"] = moduleFile,
            // Empty values are filled in by azd (the identity of the container apps).
            ["params"] = new JsonObject { ["principalId"] = "", ["principalType"] = "" },
        });
        return name;
    }

    private static void WriteProject(Context context, ProjectResource project, IReadOnlyList<IResource> published)
    {
        var env = new JsonObject { ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory" };
        var hasHttp = project.Endpoints.Any(e => e.IsHttp);
        if (hasHttp)
        {
            env["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true";
            env["HTTP_PORTS"] = $"{{{project.Name}.bindings.http.targetPort}}";
        }

        foreach (var reference in project.Annotations.OfType<ReferenceAnnotation>())
        {
            if (!published.Contains(reference.Target))
            {
                throw new DistributedApplicationException(
                    $"Resource '{project.Name}' references '{reference.Target.Name}', which is excluded from the manifest. " +
                    "Add that reference in run mode only and give the production value as parameters.");
            }
            switch (reference.Target)
            {
                case IResourceWithConnectionString source:
                    var connectionName = reference.ConnectionName ?? source.Name;
                    env[$"ConnectionStrings__{connectionName}"] = $"{{{source.Name}.connectionString}}";
                    foreach (var (property, value) in ConnectionProperties(source)) env[$"{ProjectEnvironment.EncodeName(connectionName)}_{property}"] = value;
                    break;
                case ProjectResource target:
                    // Publish mode gives every HTTP project an http and an https binding (Aspire's default).
                    if (!target.Endpoints.Any(e => e.IsHttp)) break;
                    foreach (var scheme in new[] { "http", "https" })
                    {
                        var url = $"{{{target.Name}.bindings.{scheme}.url}}";
                        env[$"{ProjectEnvironment.EncodeName(target.Name)}_{scheme.ToUpperInvariant()}"] = url;
                        env[$"services__{target.Name}__{scheme}__0"] = url;
                    }
                    break;
            }
        }

        foreach (var annotation in project.Annotations.OfType<EnvironmentAnnotation>())
        {
            env[annotation.Name] = annotation.ManifestValue ?? throw new DistributedApplicationException(
                $"Environment variable '{annotation.Name}' of '{project.Name}' is computed at run time and has no manifest form; " +
                "use a literal or a parameter in publish mode.");
        }

        var node = new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = context.RelativePath(project.ProjectPath),
            ["env"] = env,
        };
        if (hasHttp)
        {
            var external = project.Endpoints.Any(e => e.IsHttp && e.IsExternal);
            node["bindings"] = new JsonObject { ["http"] = HttpBinding("http", external), ["https"] = HttpBinding("https", external) };
        }
        context.Add(project.Name, node);
    }

    private static void WriteParameter(Context context, ParameterResource parameter)
    {
        // A generated default password the published form does not use (Azure Cache for Redis has its own keys) is left out.
        var reference = $"{{{parameter.Name}.value}}";
        if (parameter.Generate is not null && !context.Resources.Any(r => r.Value.ToJsonString(s_json).Contains(reference, StringComparison.Ordinal))) return;

        var input = new JsonObject { ["type"] = "string" };
        if (parameter.Secret) input["secret"] = true;
        if (parameter.Generate is { } generate)
        {
            var options = new JsonObject { ["minLength"] = generate.MinLength };
            if (!generate.Lower) options["lower"] = false;
            if (!generate.Upper) options["upper"] = false;
            if (!generate.Numeric) options["numeric"] = false;
            if (!generate.Special) options["special"] = false;
            input["default"] = new JsonObject { ["generate"] = options };
        }
        context.Add(parameter.Name, new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        });

        var encodedName = $"{parameter.Name}-uri-encoded";
        if (context.Resources.Any(r => r.Value.ToJsonString(s_json).Contains($"{{{encodedName}.value}}", StringComparison.Ordinal)))
        {
            context.Add(encodedName, new JsonObject { ["type"] = "annotated.string", ["value"] = $"{{{parameter.Name}.value}}", ["filter"] = "uri" });
        }
    }

    /// <summary>Aspire's connection properties (<c>{NAME}_{PROPERTY}</c>) as manifest expressions.</summary>
    private static IEnumerable<(string Property, string Value)> ConnectionProperties(IResourceWithConnectionString source)
    {
        switch (source)
        {
            case PostgresDatabaseResource database when IsConnectionStringParameter(database):
                // Only the connection string is known for an existing server.
                break;
            case PostgresDatabaseResource database:
                foreach (var p in PostgresProperties(database.Server, database.DatabaseName)) yield return p;
                yield return ("DATABASENAME", database.DatabaseName);
                break;
            case PostgresServerResource server:
                foreach (var p in PostgresProperties(server, null)) yield return p;
                break;
            case RedisResource redis when IsAzure(redis):
                yield return ("HOST", $"{{{redis.Name}.outputs.hostName}}");
                yield return ("PORT", "6380");
                break;
            case RedisResource redis:
                var password = redis.PasswordParameter.Name;
                yield return ("HOST", $"{{{redis.Name}.bindings.tcp.host}}");
                yield return ("PORT", $"{{{redis.Name}.bindings.tcp.port}}");
                yield return ("PASSWORD", $"{{{password}.value}}");
                yield return ("URI", $"{{{redis.Name}.bindings.tcp.scheme}}://:{{{password}-uri-encoded.value}}@{{{redis.Name}.bindings.tcp.host}}:{{{redis.Name}.bindings.tcp.port}}");
                break;
        }
    }

    private static IEnumerable<(string, string)> PostgresProperties(PostgresServerResource server, string? databaseName)
    {
        string host, port, user;
        if (server.Annotations.OfType<AzurePostgresFlexibleServerAnnotation>().FirstOrDefault() is { UserNameParameter: { } userName })
        {
            (host, port, user) = ($"{{{server.Name}.outputs.hostName}}", "5432", $"{{{userName.Name}.value}}");
        }
        else
        {
            (host, port, user) = ($"{{{server.Name}.bindings.tcp.host}}", $"{{{server.Name}.bindings.tcp.port}}", server.UserName);
        }
        var password = server.PasswordParameter.Name;
        var path = databaseName is null ? "" : $"/{databaseName}";
        yield return ("HOST", host);
        yield return ("PORT", port);
        yield return ("USERNAME", user);
        yield return ("PASSWORD", $"{{{password}.value}}");
        yield return ("URI", $"postgresql://{user}:{{{password}-uri-encoded.value}}@{host}:{port}{path}");
        yield return ("JDBCCONNECTIONSTRING", $"jdbc:postgresql://{host}:{port}{path}");
    }

    private static JsonObject TcpBinding(string scheme, int targetPort) => new()
    {
        ["scheme"] = scheme,
        ["protocol"] = "tcp",
        ["transport"] = "tcp",
        ["targetPort"] = targetPort,
    };

    private static JsonObject HttpBinding(string scheme, bool external)
    {
        var binding = new JsonObject { ["scheme"] = scheme, ["protocol"] = "tcp", ["transport"] = "http" };
        if (external) binding["external"] = true;
        return binding;
    }

    private static bool IsConnectionStringParameter(PostgresDatabaseResource database) =>
        database.Annotations.OfType<PublishAsConnectionStringAnnotation>().Any();

    private static bool IsAzure(IResource resource) =>
        resource.Annotations.Any(a => a is AzurePostgresFlexibleServerAnnotation or AzureRedisAnnotation);

    private static string KeyVaultName(string ownerName) => $"{ownerName}-kv";

    /// <summary>Every <c>{resource.…}</c> placeholder whose resource is not in the manifest.</summary>
    public static IEnumerable<string> FindDanglingReferences(JsonObject manifest)
    {
        var resources = manifest["resources"]!.AsObject();
        foreach (var text in Strings(manifest))
        {
            foreach (Match match in Placeholder().Matches(text))
            {
                var name = match.Groups["resource"].Value;
                if (!resources.ContainsKey(name)) yield return match.Value;
            }
        }
    }

    /// <summary>A manifest placeholder: <c>{resource.property…}</c>, resource names being Aspire-valid.</summary>
    [GeneratedRegex(@"\{(?<resource>[A-Za-z][A-Za-z0-9-]*)\.(?<path>[A-Za-z0-9_.-]+)\}")]
    public static partial Regex Placeholder();

    private static IEnumerable<string> Strings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o) foreach (var s in Strings(child)) yield return s;
                break;
            case JsonArray a:
                foreach (var child in a) foreach (var s in Strings(child)) yield return s;
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                yield return s;
                break;
        }
    }

    private sealed class Context(string manifestDirectory, string? infraDirectory)
    {
        /// <summary>The manifest path of a module: the customised copy under infra/ if there is one, else a generated file next to the manifest.</summary>
        public string Module(string fileName, Func<string> generate)
        {
            if (infraDirectory is not null && File.Exists(Path.Combine(infraDirectory, fileName)))
            {
                return RelativePath(Path.Combine(infraDirectory, fileName));
            }
            Modules[fileName] = generate();
            return fileName;
        }

        public List<KeyValuePair<string, JsonObject>> Resources { get; } = [];
        public Dictionary<string, string> Modules { get; } = new(StringComparer.Ordinal);

        public void Add(string name, JsonObject node)
        {
            if (Resources.Any(r => r.Key == name)) throw new DistributedApplicationException($"Resource '{name}' is written to the manifest twice.");
            Resources.Add(new(name, node));
        }

        public string RelativePath(string path) => Path.GetRelativePath(manifestDirectory, path).Replace('\\', '/');
    }
}
