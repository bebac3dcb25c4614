using System.Text.Json.Nodes;
using Pfa.ServiceDefaults;

namespace Pfa.Tests.Publishing;

/// <summary>
/// Each service publishes as a container with the .NET SDK alone (azd runs <c>dotnet publish /t:PublishContainer</c>
/// and uses the first exposed port), no Dockerfile and no Docker engine. Building the image itself needs the base image
/// from mcr.microsoft.com, which this machine cannot reach, so the tests stop at the SDK's computed container configuration.
/// </summary>
public sealed class ContainerImageTests
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
}
