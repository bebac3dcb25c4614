using System.Text.Json.Nodes;

namespace Pfa.Tests.Publishing;

/// <summary>
/// Runs the AppHost in publish mode once, the way azd does (<c>dotnet run --project Pfa.AppHost.csproj --publisher manifest
/// --output-path &lt;tmp&gt;/apphost-manifest.json</c>, cwd = AppHost directory, azd's environment variables), with sentinel
/// secrets in its configuration so the tests can prove no secret value reaches the manifest or any file it names.
/// </summary>
public sealed class ManifestFixture : IAsyncLifetime
{
    /// <summary>Values given to the AppHost as configured secrets; none may appear in any published file.</summary>
    public static readonly IReadOnlyDictionary<string, string> SentinelSecrets = new Dictionary<string, string>
    {
        ["Parameters__pg-password"] = "SentinelPgPassword-7Qx2",
        ["Parameters__cache-password"] = "SentinelCachePassword9Zk4",
        ["Parameters__pems-password"] = "SentinelPemsPassword-3Lm8",
        ["Parameters__jwt-key"] = "SentinelJwtKey5Rt1SentinelJwtKey5Rt1SentinelJwtKey5Rt1SentinelJwt",
        ["Parameters__admin-password"] = "SentinelAdminPassword8Wq3",
    };

    public PublishRun Run { get; private set; } = null!;
    public string OutputDirectory => Run.OutputDirectory;
    public string ManifestPath => Run.ManifestPath;
    public ProcessResult Result => Run.Result;
    public JsonObject Manifest => Run.Manifest ?? throw new Xunit.Sdk.XunitException($"No manifest was written.\n{Run.Result.Output}");
    public JsonObject Resources => Manifest["resources"]!.AsObject();

    public async ValueTask InitializeAsync() => Run = await PublishRun.StartAsync(SentinelSecrets);

    public ValueTask DisposeAsync()
    {
        Run.Dispose();
        return ValueTask.CompletedTask;
    }

    public JsonObject Resource(string name) => Resources[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"Resource '{name}' is not in the manifest.");
}

[CollectionDefinition(Name)]
public sealed class ManifestCollection : ICollectionFixture<ManifestFixture>
{
    public const string Name = "manifest";
}
