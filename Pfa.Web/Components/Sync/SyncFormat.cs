using System.Globalization;

namespace Pfa.Web.Components.Sync;

/// <summary>How sync durations, counts and outcomes read in the banner and the history (clock times: <see cref="Pfa.Web.State.ViewerClock"/>).</summary>
public static class SyncFormat
{
    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var d = now - at;
        if (d < TimeSpan.FromMinutes(1)) return "just now";
        if (d < TimeSpan.FromHours(1)) return $"{(int)d.TotalMinutes} min ago";
        if (d < TimeSpan.FromDays(1)) return $"{(int)d.TotalHours} h ago";
        return $"{(int)d.TotalDays} d ago";
    }

    public static string In(DateTimeOffset at, DateTimeOffset now)
    {
        var d = at - now;
        if (d < TimeSpan.FromMinutes(1)) return "due now";
        return d < TimeSpan.FromHours(1) ? $"in {(int)Math.Ceiling(d.TotalMinutes)} min" : $"in {d.TotalHours:0.#} h";
    }

    public static string Duration(long? ms) => ms switch
    {
        null => "",
        < 1000 => $"{ms} ms",
        < 60_000 => $"{ms / 1000.0:0.0} s",
        _ => $"{ms / 60_000} min {ms % 60_000 / 1000} s",
    };

    public static string Count(int n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    public static string ProgressText(Pfa.Web.State.SyncProgress p) =>
        p.Total is { } total
            ? $"Syncing: {Count(p.Fetched)} of {total.ToString("#,0", CultureInfo.InvariantCulture)} rows ({p.Pages} pages)"
            : p.Pages == 0 ? "Sync started…" : $"Syncing: {Count(p.Fetched)} rows ({p.Pages} pages)";

    /// <summary>
    /// A run's outcome in words and severity. A run that "completed" but refused rows is not a success to show in green:
    /// a write-back counts its PEMS conflicts and failed writes in <c>rejected</c> (and names conflicts in its message), a
    /// read counts the malformed rows it rejected.
    /// </summary>
    public static (string Label, RunSeverity Severity) Outcome(Pfa.Web.Api.SyncRun run) => run switch
    {
        { Status: "completed", Rejected: > 0, IsRead: false } when run.ErrorMessage?.Contains("conflict", StringComparison.OrdinalIgnoreCase) == true
            => ("completed with conflicts", RunSeverity.Warning),
        { Status: "completed", Rejected: > 0, IsRead: false } => ("completed with failed writes", RunSeverity.Warning),
        { Status: "completed", Rejected: > 0 } => ($"completed, {Count(run.Rejected)} rows rejected", RunSeverity.Warning),
        { Status: "completed" } => ("completed", RunSeverity.Success),
        { Status: "failed" } => ("failed", RunSeverity.Error),
        { Status: "running" } => ("running", RunSeverity.Info),
        _ => (run.Status, RunSeverity.Neutral),
    };
}

public enum RunSeverity { Neutral, Info, Success, Warning, Error }
