using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Pfa.Tests.Publishing;

/// <summary>How azd finds and treats the AppHost (aspire-contract.md §2.7-2.8).</summary>
public sealed class AzdContractTests
{
    [Fact]
    public async Task Msbuild_reports_the_AppHost_as_azd_reads_it()
    {
        // azd's own query (dotnet.go IsAspireHostProject): IsAspireHost=true or an "Aspire" project capability.
        var result = await ProcessResult.RunAsync("dotnet",
            ["msbuild", "Pfa.AppHost/Pfa.AppHost.csproj", "--ignore:.sln", "--getProperty:IsAspireHost", "--getItem:ProjectCapability"],
            PublishingEnvironment.RepositoryRoot, timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
        var json = JsonNode.Parse(result.StdOut)!;
        Assert.Equal("true", (string?)json["Properties"]!["IsAspireHost"]);
        Assert.Contains(json["Items"]!["ProjectCapability"]!.AsArray(), c => (string?)c!["Identity"] == "Aspire");
    }

    [Fact]
    public void AppHost_is_on_the_real_Aspire_SDK()
    {
        var project = XDocument.Load(Path.Combine(PublishingEnvironment.AppHostDirectory, "Pfa.AppHost.csproj"));
        Assert.StartsWith("Aspire.AppHost.Sdk/", (string?)project.Root!.Attribute("Sdk"));
        Assert.Contains(project.Descendants("PackageReference"), p => (string?)p.Attribute("Include") == "Aspire.Hosting.AppHost");
    }

    [Fact]
    public void Azure_yaml_has_the_single_AppHost_service_for_containerapp()
    {
        var path = Path.Combine(PublishingEnvironment.RepositoryRoot, "azure.yaml");
        Assert.True(File.Exists(path), "azure.yaml is missing at the repository root");
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToList();

        Assert.Contains(lines, l => l.StartsWith("name: ", StringComparison.Ordinal));
        var services = lines.IndexOf("services:");
        Assert.True(services >= 0, "no services: section");
        var serviceKeys = lines.Skip(services + 1).TakeWhile(l => l.StartsWith(' ')).Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("   ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["  app:"], serviceKeys);
        var app = lines.Skip(services + 2).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Contains("language: dotnet", app);
        Assert.Contains("project: ./Pfa.AppHost/Pfa.AppHost.csproj", app);
        Assert.Contains("host: containerapp", app);
        Assert.True(File.Exists(Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.AppHost", "Pfa.AppHost.csproj")));
    }
}
