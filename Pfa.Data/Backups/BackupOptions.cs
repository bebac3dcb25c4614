namespace Pfa.Data.Backups;

/// <summary>Settings section <c>Backups</c>: where backups go and how many stay.</summary>
public sealed record BackupOptions
{
    public const string Section = "Backups";

    /// <summary>The backups folder; default <c>&lt;data directory&gt;/backups</c>.</summary>
    public string? Directory { get; init; }

    /// <summary>The newest N backups of a database are always kept (0: no count rule).</summary>
    public int KeepLast { get; init; } = 7;

    /// <summary>Backups younger than N days are kept too (0: no age rule). Older ones beyond the newest <see cref="KeepLast"/> are deleted.</summary>
    public int KeepDays { get; init; } = 14;

    /// <summary>Where pg_dump and pg_restore are; default the newest /usr/lib/postgresql/&lt;v&gt;/bin, then the PATH.</summary>
    public string? PgBinDirectory { get; init; }

    /// <summary>pg_dump's compression level (0–9) for the custom format.</summary>
    public int Compression { get; init; } = 6;
}

public sealed record BackupResult(string DumpPath, string ManifestPath, BackupManifest Manifest, TimeSpan Duration, IReadOnlyList<string> Deleted);

public sealed record RestoreResult(string Database, BackupManifest Manifest, TimeSpan Duration);
