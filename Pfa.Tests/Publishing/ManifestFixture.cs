using System.Text.Json.Nodes;

namespace Pfa.Tests.Publishing;

/// <summary>
/// Runs the AppHost entry point in publish mode once, exactly as azd does (cwd = AppHost directory,
/// <c>--publisher manifest --output-path &lt;tmp&gt;/apphost-manifest.json</c>), with sentinel secrets in its
/// configuration so the tests can prove no secret value reaches the manifest.
/// </summary>
public sealed class ManifestFixture : IAsyncLifetime
{
    /// <summary>Values given to the AppHost as configured secrets; none may appear in any published file.</summary>
    public static readonly IReadOnlyDictionary<string, string> SentinelSecrets = new Dictionary<string, string>
    {
        ["Parameters__pg-password"] = "SentinelPgPassword-7Qx2",
        ["Parameters__cache-password"] = "SentinelCachePassword9Zk4",
        ["Parameters__pems-password"] = "SentinelPemsPassword-3Lm8",
    };

    public string OutputDirectory { get; } = Path.Combine(Path.GetTempPath(), "pfa-manifest-" + Guid.NewGuid().ToString("N")[..8]);
    public string ManifestPath => Path.Combine(OutputDirectory, "apphost-manifest.json");
    public string DataDirectory => Path.Combine(OutputDirectory, "data");
    public ProcessResult Result { get; private set; } = null!;
    public JsonObject Manifest { get; private set; } = null!;
    public JsonObject Resources => Manifest["resources"]!.AsObject();

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(PublishingEnvironment.AppHostDll), $"AppHost build output not found: {PublishingEnvironment.AppHostDll}");
        var environment = new Dictionary<string, string>(SentinelSecrets) { ["DOTNET_ENVIRONMENT"] = "Production" };
        Result = await ProcessResult.RunAsync("dotnet",
            [PublishingEnvironment.AppHostDll, "--publisher", "manifest", "--output-path", ManifestPath, "--data-dir", DataDirectory],
            PublishingEnvironment.AppHostDirectory, environment, TimeSpan.FromMinutes(1));
        if (Result.ExitCode == 0 && File.Exists(ManifestPath))
        {
            Manifest = JsonNode.Parse(await File.ReadAllTextAsync(ManifestPath))!.AsObject();
        }
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(OutputDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }

    public JsonObject Resource(string name) => Resources[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"Resource '{name}' is not in the manifest.");
}

[CollectionDefinition(Name)]
public sealed class ManifestCollection : ICollectionFixture<ManifestFixture>
{
    public const string Name = "manifest";
}
