using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Pfa.Data.Backups;

/// <summary>
/// pg_dump and pg_restore as child processes. The connection goes through libpq's environment variables (PGHOST …
/// PGPASSWORD), never the command line: arguments show up in ps and in the dashboard's console.
/// </summary>
internal static class PgTools
{
    /// <summary>
    /// <paramref name="binDirectory"/> if given, else the newest /usr/lib/postgresql/&lt;version&gt;/bin that has the tool
    /// (pg_dump must be at least the server's version), else the PATH.
    /// </summary>
    public static string Find(string tool, string? binDirectory)
    {
        if (binDirectory is { Length: > 0 })
        {
            var configured = Path.Combine(binDirectory, tool);
            return File.Exists(configured) ? configured : throw new BackupException($"{tool} was not found in {binDirectory} (Backups:PgBinDirectory).");
        }
        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin", tool)).Where(File.Exists)
                .OrderByDescending(p => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p))), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return installed
            ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists)
            ?? throw new BackupException($"{tool} was not found: install the PostgreSQL client (apt-get install -y postgresql-client) or set Backups:PgBinDirectory.");
    }

    public static async Task RunAsync(string program, IEnumerable<string> args, NpgsqlConnectionStringBuilder connection, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["PGHOST"] = connection.Host;
        info.Environment["PGPORT"] = connection.Port.ToString(CultureInfo.InvariantCulture);
        info.Environment["PGDATABASE"] = connection.Database;
        info.Environment["PGUSER"] = connection.Username;
        info.Environment["PGPASSWORD"] = connection.Password ?? "";
        info.Environment["PGSSLMODE"] = SslMode(connection.SslMode);
        info.Environment["PGAPPNAME"] = Path.GetFileName(program);
        info.Environment["PGCONNECT_TIMEOUT"] = "15";
        info.Environment.Remove("PGPASSFILE");
        info.Environment.Remove("PGSERVICE");

        using var process = Process.Start(info) ?? throw new BackupException($"Could not start {program}.");
        var errors = new List<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            string output;
            lock (errors) output = string.Join(Environment.NewLine, errors.TakeLast(20));
            throw new BackupException($"{Path.GetFileName(program)} failed (exit code {process.ExitCode}): {output}");
        }
    }

    private static string SslMode(Npgsql.SslMode mode) => mode switch
    {
        Npgsql.SslMode.Disable => "disable",
        Npgsql.SslMode.Allow => "allow",
        Npgsql.SslMode.Require => "require",
        Npgsql.SslMode.VerifyCA => "verify-ca",
        Npgsql.SslMode.VerifyFull => "verify-full",
        _ => "prefer",
    };
}
