using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pfa.Data.Backups;

/// <summary>
/// What a backup promises: the dump file's size and SHA-256, and per table its row count and content hash, all taken from
/// the one snapshot pg_dump read. Written beside the dump as <c>&lt;name&gt;.manifest.json</c>, last, so a backup without a
/// manifest is one that did not finish.
/// </summary>
public sealed record BackupManifest
{
    public const string CurrentFormat = "pfa-backup/1";
    public const string DumpExtension = ".dump";
    public const string ManifestExtension = ".manifest.json";

    public string Format { get; init; } = CurrentFormat;
    public required string Database { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string ServerVersion { get; init; }
    public required string DumpFile { get; init; }
    public required long DumpBytes { get; init; }
    public required string DumpSha256 { get; init; }
    /// <summary>Roles the dump grants privileges to (e.g. pfa_app): roles belong to the cluster, not the dump.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];
    public required IReadOnlyList<TableFingerprint> Tables { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string ManifestPathFor(string dumpPath) =>
        Path.Combine(Path.GetDirectoryName(dumpPath) ?? ".", Path.GetFileNameWithoutExtension(dumpPath) + ManifestExtension);

    public async Task WriteAsync(string path, CancellationToken ct)
    {
        await using var stream = BackupFiles.CreatePrivate(path);
        await JsonSerializer.SerializeAsync(stream, this, Json, ct).ConfigureAwait(false);
    }

    public static async Task<BackupManifest> ReadAsync(string path, CancellationToken ct)
    {
        BackupManifest? manifest;
        try
        {
            await using var stream = File.OpenRead(path);
            manifest = await JsonSerializer.DeserializeAsync<BackupManifest>(stream, Json, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new BackupException($"The backup manifest {path} is not valid JSON ({e.Message}): the backup cannot be verified, nothing was restored.", e);
        }
        if (manifest is null || manifest.Format != CurrentFormat || manifest.Tables is null || string.IsNullOrEmpty(manifest.DumpSha256))
        {
            throw new BackupException($"The backup manifest {path} is not a {CurrentFormat} manifest: the backup cannot be verified, nothing was restored.");
        }
        return manifest;
    }
}

/// <summary>One table's row count and SHA-256 of its rows (binary COPY in primary-key order) in one snapshot.</summary>
public sealed record TableFingerprint(string Name, long Rows, string Sha256);
