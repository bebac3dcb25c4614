using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Publishing;

/// <summary>
/// Each service publishes as a container with the .NET SDK alone (azd runs <c>dotnet publish /t:PublishContainer</c>
/// and uses the first exposed port), no Dockerfile and no Docker engine.
/// </summary>
public sealed partial class ContainerImageTests
{
    [Theory]
    [InlineData("Pfa.Api", PfaResources.Api)]
    [InlineData("Pfa.SyncWorker", PfaResources.SyncWorker)]
    [InlineData("Pfa.Web", PfaResources.Web)]
    public async Task Service_publishes_as_an_image_exposing_8080(string project, string resource)
    {
        var result = await ProcessResult.RunAsync("dotnet",
            ["msbuild", $"{project}/{project}.csproj", "-t:ComputeContainerConfig", "--getItem:ContainerPort", "--getProperty:ContainerBaseImage", "--getProperty:EnableSdkContainerSupport"],
            PublishingEnvironment.RepositoryRoot, timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
        var json = JsonNode.Parse(result.StdOut)!;
        Assert.Equal("true", (string?)json["Properties"]!["EnableSdkContainerSupport"]);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", (string?)json["Properties"]!["ContainerBaseImage"]);
        var ports = json["Items"]!["ContainerPort"]!.AsArray();
        Assert.Equal("8080", (string?)ports[0]!["Identity"]);
        Assert.False(File.Exists(Path.Combine(PublishingEnvironment.RepositoryRoot, project, "Dockerfile")), $"{resource} needs no Dockerfile");
    }

    [Fact]
    public async Task Api_image_builds_into_a_local_archive_when_the_base_image_registry_is_reachable()
    {
        var archive = Path.Combine(Path.GetTempPath(), $"pfa-api-image-{Guid.NewGuid():N}.tar");
        try
        {
            var result = await ProcessResult.RunAsync("dotnet",
                ["publish", "Pfa.Api/Pfa.Api.csproj", "-c", PublishingEnvironment.BuildConfiguration, "--no-build", "/t:PublishContainer",
                 $"-p:ContainerArchiveOutputPath={archive}", "--getProperty:GeneratedContainerConfiguration"],
                PublishingEnvironment.RepositoryRoot, timeout: TimeSpan.FromMinutes(5));

            if (result.ExitCode != 0 && RegistryUnreachable().Match(result.Output) is { Success: true } unreachable)
            {
                Assert.Skip($"Container image not built: the base image registry is unreachable from this machine " +
                            $"({unreachable.Value.Trim()}). The SDK resolves mcr.microsoft.com/dotnet/aspnet before writing the archive.");
            }
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.True(File.Exists(archive), $"no archive at {archive}");

            var config = JsonNode.Parse(result.StdOut.Trim())!;
            Assert.NotNull(config["config"]!["ExposedPorts"]!["8080/tcp"]);
            Assert.True(ContainsLayer(archive), "the archive holds no image layer");
        }
        finally
        {
            File.Delete(archive);
        }
    }

    private static bool ContainsLayer(string archive)
    {
        // The SDK writes a plain tar whatever the extension; accept gzip too.
        using var file = File.OpenRead(archive);
        var gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream content = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var tar = new TarReader(content);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name.EndsWith("manifest.json", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>Network failures on the way to the registry, as the SDK reports them.</summary>
    [GeneratedRegex(@"(HttpRequestException|SocketException)[^\r\n\[]*(Name or service not known|No such host|Connection refused|Network is unreachable|timed out|Temporary failure in name resolution)[^\r\n\[]*")]
    private static partial Regex RegistryUnreachable();
}
