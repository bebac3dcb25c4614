using System.Text.Json;

namespace Pfa.Hosting.ApplicationModel;

/// <summary>The subset of a project's <c>Properties/launchSettings.json</c> profile that Aspire uses.</summary>
public sealed record LaunchProfile(string Name, IReadOnlyList<Uri> ApplicationUrls, IReadOnlyDictionary<string, string> EnvironmentVariables)
{
    /// <summary>Reads the named profile, or the first <c>"commandName": "Project"</c> profile as Aspire does.</summary>
    public static LaunchProfile? Read(string projectDirectory, string? profileName = null)
    {
        var path = Path.Combine(projectDirectory, "Properties", "launchSettings.json");
        if (!File.Exists(path)) return null;

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!document.RootElement.TryGetProperty("profiles", out var profiles)) return null;

        foreach (var profile in profiles.EnumerateObject())
        {
            var isProject = profile.Value.TryGetProperty("commandName", out var command) && command.GetString() == "Project";
            if (profileName is not null ? profile.Name != profileName : !isProject) continue;

            var urls = profile.Value.TryGetProperty("applicationUrl", out var url) && url.GetString() is { } value
                ? value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u)).ToList()
                : [];
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            if (profile.Value.TryGetProperty("environmentVariables", out var vars))
            {
                foreach (var v in vars.EnumerateObject()) env[v.Name] = v.Value.GetString() ?? "";
            }
            return new LaunchProfile(profile.Name, urls, env);
        }
        return null;
    }
}
