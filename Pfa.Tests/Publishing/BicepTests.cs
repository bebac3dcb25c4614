namespace Pfa.Tests.Publishing;

/// <summary>Every Bicep file compiles with the Bicep CLI (NuGet Azure.Bicep.CommandLine.linux-x64): the modules the manifest refers to, and any in the repository.</summary>
[Collection(ManifestCollection.Name)]
public sealed class BicepTests(ManifestFixture fixture)
{
    [Fact]
    public async Task Published_modules_and_repository_bicep_compile()
    {
        Assert.True(File.Exists(PublishingEnvironment.BicepPath), $"Bicep CLI not found at {PublishingEnvironment.BicepPath} (restore downloads it).");
        var work = Path.Combine(fixture.OutputDirectory, "bicep-build");
        // The repository's own .bicep files (outside build output) are copied in so one CLI run compiles them all.
        var repository = Directory.EnumerateFiles(PublishingEnvironment.RepositoryRoot, "*.bicep", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or ".git")).ToList();
        var published = Directory.EnumerateFiles(fixture.OutputDirectory, "*.bicep").ToList();
        Assert.NotEmpty(published);

        var result = await ProcessResult.RunAsync(PublishingEnvironment.BicepPath, ["build", "--pattern", "*.bicep", "--outdir", work],
            fixture.OutputDirectory, timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain("Warning", result.Output, StringComparison.Ordinal);
        foreach (var file in published) Assert.True(File.Exists(Path.Combine(work, Path.GetFileNameWithoutExtension(file) + ".json")), file);

        foreach (var file in repository)
        {
            var one = await ProcessResult.RunAsync(PublishingEnvironment.BicepPath, ["build", file, "--stdout"], Path.GetDirectoryName(file)!, timeout: TimeSpan.FromMinutes(2));
            Assert.True(one.ExitCode == 0, $"{file}\n{one.StdErr}");
        }
    }
}
