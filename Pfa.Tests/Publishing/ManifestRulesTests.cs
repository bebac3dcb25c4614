using System.Text.Json.Nodes;

namespace Pfa.Tests.Publishing;

/// <summary>The azd rules catch what they claim to: a manifest with each mistake is rejected with a reason.</summary>
public sealed class ManifestRulesTests
{
    private static JsonObject Resources(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Rules_reject_unsupported_types_dangling_references_bad_bindings_and_clear_secrets()
    {
        var resources = Resources("""
            {
              "tool": { "type": "executable.v0", "command": "x", "workingDirectory": "." },
              "db": { "type": "postgres.database.v0" },
              "api": {
                "type": "project.v0",
                "path": "api.csproj",
                "env": {
                  "ConnectionStrings__db": "Host=x;Password=hunter2",
                  "PEMS_PASSWORD": "hunter2",
                  "A": "{missing.connectionString}",
                  "B": "{api.bindings.grpc.url}",
                  "C": "{secret.value}"
                },
                "bindings": {
                  "http": { "scheme": "http", "protocol": "tcp", "transport": "http", "targetPort": 8080 },
                  "raw": { "scheme": "tcp", "protocol": "tcp", "transport": "tcp", "external": true }
                }
              },
              "secret": { "type": "parameter.v0", "value": "{secret.inputs.value}",
                          "inputs": { "value": { "type": "string", "secret": true, "default": { "value": "hunter2" } } } }
            }
            """);

        Assert.Equal(["tool: executable.v0", "db: postgres.database.v0"], ManifestRules.UnsupportedTypes(resources));

        var unresolved = ManifestRules.UnresolvedReferences(resources, Path.GetTempPath()).ToList();
        Assert.Contains(unresolved, u => u.Contains("{missing.connectionString} (no such resource)", StringComparison.Ordinal));
        Assert.Contains(unresolved, u => u.Contains("{api.bindings.grpc.url} (no binding 'grpc')", StringComparison.Ordinal));
        Assert.DoesNotContain(unresolved, u => u.Contains("{secret.", StringComparison.Ordinal));

        var bindings = ManifestRules.BindingProblems(resources).ToList();
        Assert.Contains("api.bindings.raw: a non-HTTP binding needs a targetPort", bindings);
        Assert.Contains("api.bindings.raw: external non-HTTP bindings are rejected by azd", bindings);
        Assert.Contains("api.bindings.http: Aspire leaves a project's targetPort to the platform", bindings);

        var secrets = ManifestRules.SecretsInClear(resources, ["hunter2"], [resources.ToJsonString()]).ToList();
        Assert.Contains(secrets, s => s.StartsWith("configured secret", StringComparison.Ordinal));
        Assert.Contains("api.env.ConnectionStrings__db is a literal", secrets);
        Assert.Contains("api.env.PEMS_PASSWORD is a literal", secrets);
        Assert.Contains("secret.inputs.value has a literal default for a secret", secrets);
    }
}
