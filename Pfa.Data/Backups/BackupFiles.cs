using System.Globalization;
using System.Security.Cryptography;

namespace Pfa.Data.Backups;

/// <summary>Where backups live, how they are named, and files only their owner can read (a dump holds password hashes and the key ring).</summary>
public static class BackupFiles
{
    private const string StampFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    /// <summary>
    /// The local data directory the AppHost keeps its servers' data in (<c>AppHost:DataDirectory</c> overrides it):
    /// /var/lib/pfa as root (postgres must be able to enter every parent; /root is 0700), else ~/.local/share/pfa.
    /// </summary>
    public static string DefaultDataDirectory() =>
        Environment.UserName == "root" ? "/var/lib/pfa"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "pfa");

    /// <summary>The backups folder under a data directory.</summary>
    public static string BackupDirectory(string dataDirectory) => Path.Combine(dataDirectory, "backups");

    public static string DumpFileName(string database, DateTimeOffset at) =>
        $"{database}-{at.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture)}{BackupManifest.DumpExtension}";

    /// <summary>The time in a backup's file name, if it is one of <paramref name="database"/>'s backups.</summary>
    public static DateTimeOffset? StampOf(string path, string database)
    {
        var name = Path.GetFileName(path);
        var suffix = name.EndsWith(BackupManifest.ManifestExtension, StringComparison.Ordinal) ? BackupManifest.ManifestExtension
            : name.EndsWith(BackupManifest.DumpExtension, StringComparison.Ordinal) ? BackupManifest.DumpExtension : null;
        if (suffix is null || !name.StartsWith(database + "-", StringComparison.Ordinal)) return null;
        var stamp = name[(database.Length + 1)..^suffix.Length];
        return DateTimeOffset.TryParseExact(stamp, StampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
    }

    public static void EnsurePrivateDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static FileStream CreatePrivate(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }

    public static void MakePrivate(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
    }
}
