using System.Globalization;

namespace Pfa.Web.Components.Sync;

/// <summary>How sync times and figures read in the banner and the history (times in UTC: the server cannot know the viewer's zone).</summary>
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

    public static string Utc(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "";

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
}
