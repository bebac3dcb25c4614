namespace Pfa.Tests.Publishing;

/// <summary>Every Bicep file compiles cleanly with the Bicep CLI (NuGet Azure.Bicep.CommandLine.linux-x64): the modules the manifest names, and any in the repository.</summary>
[Collection(ManifestCollection.Name)]
public sealed class BicepTests(ManifestFixture fixture)
{
    [Fact]
    public async Task Manifest_modules_and_repository_bicep_compile_without_warnings()
    {
        Assert.True(File.Exists(PublishingEnvironment.BicepPath), $"Bicep CLI not found at {PublishingEnvironment.BicepPath} (restore downloads it).");
        var named = fixture.Run.PublishedFiles().Where(f => f.EndsWith(".bicep", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, named.Count); // PostgreSQL, Redis, Key Vault (shared by both vaults)
        var repository = Directory.EnumerateFiles(PublishingEnvironment.RepositoryRoot, "*.bicep", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or ".git"));

        foreach (var file in named.Concat(repository).Distinct())
        {
            var result = await ProcessResult.RunAsync(PublishingEnvironment.BicepPath, ["build", file, "--stdout"], Path.GetDirectoryName(file)!,
                timeout: TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, $"{file}\n{result.StdErr}");
            Assert.DoesNotContain("Warning", result.StdErr, StringComparison.Ordinal);
        }
    }
}
