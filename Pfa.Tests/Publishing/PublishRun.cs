using System.Text.Json.Nodes;

namespace Pfa.Tests.Publishing;

/// <summary>One publish of the AppHost into a temporary directory, as azd runs it (aspire-contract.md §2.1).</summary>
public sealed class PublishRun : IDisposable
{
    private PublishRun(string outputDirectory) => OutputDirectory = outputDirectory;

    public string OutputDirectory { get; }
    public string ManifestPath => Path.Combine(OutputDirectory, "apphost-manifest.json");
    /// <summary>Where run mode would keep its data; publish mode must not create it.</summary>
    public string DataDirectory => Path.Combine(OutputDirectory, "data");
    public ProcessResult Result { get; private set; } = null!;
    public JsonObject? Manifest { get; private set; }

    public static async Task<PublishRun> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        Assert.True(File.Exists(PublishingEnvironment.AppHostDll), $"AppHost build output not found: {PublishingEnvironment.AppHostDll}");
        var run = new PublishRun(Path.Combine(Path.GetTempPath(), "pfa-manifest-" + Guid.NewGuid().ToString("N")[..8]));
        var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            // What azd sets (dotnet.go PublishAppHostManifest).
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["ASPIRE_SUPPRESS_CLI_RUN_HOOK"] = "true",
            ["AppHost__DataDirectory"] = run.DataDirectory,
        };
        // azd's command line, plus --no-build and the configuration: the test build has just built the AppHost, and a
        // second build from inside the test run would compete with it.
        run.Result = await ProcessResult.RunAsync("dotnet",
            ["run", "--project", "Pfa.AppHost.csproj", "--no-build", "-c", PublishingEnvironment.BuildConfiguration,
             "--publisher", "manifest", "--output-path", run.ManifestPath],
            PublishingEnvironment.AppHostDirectory, environment, TimeSpan.FromMinutes(2));
        if (run.Result.ExitCode == 0 && File.Exists(run.ManifestPath))
        {
            run.Manifest = JsonNode.Parse(await File.ReadAllTextAsync(run.ManifestPath))!.AsObject();
        }
        return run;
    }

    /// <summary>The manifest's files (itself, and every module it names), to search for secrets.</summary>
    public IEnumerable<string> PublishedFiles()
    {
        var files = Directory.EnumerateFiles(OutputDirectory, "*", SearchOption.AllDirectories).ToList();
        foreach (var (_, node) in Manifest?["resources"]?.AsObject() ?? [])
        {
            if ((string?)node!["path"] is { } path && path.EndsWith(".bicep", StringComparison.Ordinal)) files.Add(Path.GetFullPath(Path.Combine(OutputDirectory, path)));
        }
        return files.Distinct();
    }

    public void Dispose()
    {
        try { Directory.Delete(OutputDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
