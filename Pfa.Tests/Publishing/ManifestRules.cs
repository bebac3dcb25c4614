using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pfa.Tests.Publishing;

/// <summary>
/// azd's view of a manifest (aspire-contract.md §2.3-2.9), written independently of the publisher:
/// accepted types, resolvable expressions, bindings azd can turn into ingress, no secrets in clear.
/// Each rule returns the violations it found, so one failing assertion lists all of them.
/// </summary>
internal static partial class ManifestRules
{
    /// <summary>What azd's generator turns into Azure resources (executable.v0 and the 8.0-preview types are rejected).</summary>
    public static readonly string[] AzdTypes = ["project.v0", "container.v0", "container.v1", "value.v0", "parameter.v0", "annotated.string", "azure.bicep.v0", "azure.bicep.v1"];

    [GeneratedRegex(@"\{(?<resource>[A-Za-z][A-Za-z0-9-]*)\.(?<path>[A-Za-z0-9_.-]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*output\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s", RegexOptions.Multiline)]
    private static partial Regex BicepOutput();

    private static readonly string[] BindingProperties = ["host", "port", "targetPort", "url", "scheme", "protocol", "transport", "external"];

    public static IEnumerable<string> UnsupportedTypes(JsonObject resources) =>
        resources.Where(r => !AzdTypes.Contains((string?)r.Value!["type"])).Select(r => $"{r.Key}: {(string?)r.Value!["type"]}");

    /// <summary>Every <c>{resource.property}</c> must name a defined resource and a property that resource has.</summary>
    public static IEnumerable<string> UnresolvedReferences(JsonObject resources, string manifestDirectory)
    {
        foreach (var (owner, node) in resources)
        {
            foreach (var text in Strings(node))
            {
                foreach (Match match in Placeholder().Matches(text))
                {
                    var problem = Resolve(resources, match.Groups["resource"].Value, match.Groups["path"].Value.Split('.'), manifestDirectory);
                    if (problem is not null) yield return $"{owner}: {match.Value} ({problem})";
                }
            }
        }
    }

    private static string? Resolve(JsonObject resources, string name, string[] path, string manifestDirectory)
    {
        if (resources[name] is not JsonObject target) return "no such resource";
        var type = (string?)target["type"];
        switch (path[0])
        {
            case "connectionString":
                return path.Length == 1 && target["connectionString"] is not null ? null : "resource has no connectionString";
            case "value":
                return path.Length == 1 && type is "parameter.v0" or "annotated.string" ? null : "only parameters and annotated strings have a value";
            case "inputs":
                return path.Length == 2 && target["inputs"]?[path[1]] is not null ? null : "no such input";
            case "bindings":
                if (path.Length != 3) return "expected bindings.<name>.<property>";
                if (target["bindings"]?[path[1]] is null) return $"no binding '{path[1]}'";
                return BindingProperties.Contains(path[2]) ? null : $"unknown binding property '{path[2]}'";
            case "outputs" when type is "azure.bicep.v0" or "azure.bicep.v1":
                if (path.Length != 2) return "expected outputs.<name>";
                var module = ReadModule(target, manifestDirectory);
                return module is not null && BicepOutput().Matches(module).Any(m => m.Groups["name"].Value == path[1]) ? null : $"module declares no output '{path[1]}'";
            case "secrets" when type is "azure.bicep.v0" or "azure.bicep.v1":
                if (path.Length != 2) return "expected secrets.<name>";
                // A Key Vault resource: some module given this vault (keyVaultName = {vault.outputs.name}) must write that secret.
                var written = resources.Any(r => (string?)r.Value!["params"]?["keyVaultName"] == $"{{{name}.outputs.name}}"
                    && WritesSecret(r.Value.AsObject(), path[1], manifestDirectory));
                return written ? null : $"no module given this vault writes secret '{path[1]}'";
            default:
                return $"unsupported property '{string.Join('.', path)}' for {type}";
        }
    }

    /// <summary>A literal <c>name: 'secret'</c>, or a loop <c>name: 'prefix${item}'</c> over a comma-separated parameter holding the rest.</summary>
    private static bool WritesSecret(JsonObject resource, string secret, string manifestDirectory)
    {
        var module = ReadModule(resource, manifestDirectory);
        if (module is null) return false;
        if (module.Contains($"name: '{secret}'", StringComparison.Ordinal)) return true;
        var items = (resource["params"] as JsonObject ?? []).Select(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "")
            .SelectMany(s => s.Split(',')).ToHashSet(StringComparer.Ordinal);
        return LoopName().Matches(module).Any(m => secret.StartsWith(m.Groups["prefix"].Value, StringComparison.Ordinal)
            && items.Contains(secret[m.Groups["prefix"].Value.Length..]));
    }

    [GeneratedRegex(@"name: '(?<prefix>[A-Za-z0-9-]+)\$\{[A-Za-z_][A-Za-z0-9_]*\}'")]
    private static partial Regex LoopName();

    private static string? ReadModule(JsonObject resource, string manifestDirectory) =>
        (string?)resource["path"] is { } path && path.EndsWith(".bicep", StringComparison.Ordinal) && File.Exists(Path.Combine(manifestDirectory, path))
            ? File.ReadAllText(Path.Combine(manifestDirectory, path))
            : null;

    /// <summary>Bindings azd can map to ACA ingress (aca_ingress.go): complete keys, valid enums, one external group, tcp needs targetPort.</summary>
    public static IEnumerable<string> BindingProblems(JsonObject resources)
    {
        foreach (var (name, node) in resources)
        {
            if (node!["bindings"] is not JsonObject bindings) continue;
            var externalGroups = new HashSet<string>();
            foreach (var (bindingName, b) in bindings)
            {
                var binding = b!.AsObject();
                var scheme = (string?)binding["scheme"];
                var protocol = (string?)binding["protocol"];
                var transport = (string?)binding["transport"];
                var external = (bool?)binding["external"] ?? false;
                var targetPort = binding["targetPort"];
                var where = $"{name}.bindings.{bindingName}";
                if (scheme is null || protocol is null || transport is null) yield return $"{where}: scheme, protocol and transport are required";
                if (protocol is not ("tcp" or "udp")) yield return $"{where}: protocol '{protocol}'";
                if (transport is not ("http" or "http2" or "tcp")) yield return $"{where}: transport '{transport}'";
                var isHttp = scheme is "http" or "https";
                if (!isHttp && targetPort is null) yield return $"{where}: a non-HTTP binding needs a targetPort";
                if (!isHttp && external) yield return $"{where}: external non-HTTP bindings are rejected by azd";
                if (external) externalGroups.Add(targetPort?.ToJsonString() ?? "default");
                if ((string?)node["type"] == "project.v0" && targetPort is not null) yield return $"{where}: Aspire leaves a project's targetPort to the platform";
            }
            if (externalGroups.Count > 1) yield return $"{name}: more than one external port group";
        }
    }

    /// <summary>Secrets only as <c>{parameter.value}</c> references: no literal password-like values, no secret defaults.</summary>
    public static IEnumerable<string> SecretsInClear(JsonObject resources, IEnumerable<string> knownSecretValues, IEnumerable<string> publishedTexts)
    {
        var texts = publishedTexts.ToList();
        foreach (var secret in knownSecretValues)
        {
            if (texts.Any(t => t.Contains(secret, StringComparison.Ordinal))) yield return $"configured secret '{secret[..6]}…' appears in a published file";
        }
        foreach (var (name, node) in resources)
        {
            if (node!["env"] is JsonObject env)
            {
                foreach (var (key, value) in env)
                {
                    var looksSecret = key.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) || key.Contains("SECRET", StringComparison.OrdinalIgnoreCase)
                        || key.EndsWith("KEY", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ConnectionStrings__", StringComparison.Ordinal);
                    if (looksSecret && !((string?)value ?? "").Contains('{')) yield return $"{name}.env.{key} is a literal";
                }
            }
            if ((string?)node["connectionString"] is { } cs && Regex.IsMatch(cs, @"(?i)password=(?!\{)")) yield return $"{name}.connectionString has a literal password";
            if (node["params"] is JsonObject parameters)
            {
                foreach (var (key, value) in parameters)
                {
                    if (key.Contains("password", StringComparison.OrdinalIgnoreCase) && !((string?)value ?? "").StartsWith('{')) yield return $"{name}.params.{key} is a literal";
                }
            }
            if (node["inputs"] is JsonObject inputs)
            {
                foreach (var (inputName, input) in inputs)
                {
                    if ((bool?)input!["secret"] == true && input["default"]?["value"] is not null) yield return $"{name}.inputs.{inputName} has a literal default for a secret";
                }
            }
        }
    }

    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
