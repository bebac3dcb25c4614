using System.Diagnostics;
using System.Reflection;

namespace Pfa.Tests.Publishing;

/// <summary>Where the repository, the AppHost build output, the Bicep CLI and the shared reference material are.</summary>
internal static class PublishingEnvironment
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string AppHostDirectory => Path.Combine(RepositoryRoot, "Pfa.AppHost");

    public static string BuildConfiguration { get; } =
        typeof(PublishingEnvironment).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The AppHost's own build output (built with this test project, which references it; Aspire.AppHost.Sdk keeps the usual layout).</summary>
    public static string AppHostDll => Path.Combine(AppHostDirectory, "bin", BuildConfiguration, "net10.0", "Pfa.AppHost.dll");

    public static string BicepPath => typeof(PublishingEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "BicepPath").Value!;

    /// <summary>../shared/reference/aspire-manifest next to the repository, when this machine has it.</summary>
    public static string? SharedManifestReference
    {
        get
        {
            var dir = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "reference", "aspire-manifest"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pfa.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"Pfa.sln not found above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A finished child process: exit code, output, and how long it took.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
{
    public string Output => StdOut + StdErr;

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // Keep child dotnet processes from leaving MSBuild nodes behind (azd sets the same).
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout ?? TimeSpan.FromMinutes(3)}.");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr, watch.Elapsed);
    }
}
