using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// Resolves parameter values as Aspire does: configuration <c>Parameters:{name}</c> first, otherwise a generated
/// value that is persisted (AppHost user secrets; the data directory for ephemeral test apps) and reused next run.
/// </summary>
internal sealed class ParameterStore(string path)
{
    public string Path { get; } = path;

    public void Resolve(IEnumerable<ParameterResource> parameters, IConfiguration configuration)
    {
        JsonObject? stored = null;
        foreach (var parameter in parameters.Where(p => !p.HasValue))
        {
            var key = $"Parameters:{parameter.Name}";
            if (configuration[key] is { Length: > 0 } configured)
            {
                parameter.SetValue(configured);
                continue;
            }
            if (parameter.Generate is null)
            {
                throw new DistributedApplicationException(
                    $"Parameter '{parameter.Name}' has no value. Set it with: dotnet user-secrets set \"{key}\" \"<value>\" --project <AppHost>, " +
                    $"or the environment variable Parameters__{parameter.Name}.");
            }
            stored ??= Load();
            if (stored[key]?.GetValue<string>() is { Length: > 0 } persisted)
            {
                parameter.SetValue(persisted);
                continue;
            }
            var generated = parameter.Generate.GenerateValue();
            stored[key] = generated;
            Save(stored);
            parameter.SetValue(generated);
        }
    }

    private JsonObject Load()
    {
        if (!File.Exists(Path)) return [];
        return JsonNode.Parse(File.ReadAllText(Path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject ?? [];
    }

    private void Save(JsonObject values)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        // Secrets: readable by the owner only, from the first byte written.
        using (var stream = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            JsonSerializer.Serialize(stream, values, new JsonSerializerOptions { WriteIndented = true });
        }
        File.Move(temp, Path, overwrite: true);
    }
}
