using System.Globalization;

namespace Pfa.Dashboard.Components;

/// <summary>How the pages print times and durations (server local time: the dashboard runs on the developer's machine).</summary>
public static class Format
{
    public static string Time(DateTimeOffset? value) =>
        value is { } v ? v.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "–";

    public static string Time(DateTime utc) => utc.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan d) =>
        d.TotalSeconds >= 1 ? d.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : d.TotalMilliseconds >= 1 ? d.TotalMilliseconds.ToString("0.##", CultureInfo.InvariantCulture) + " ms"
        : (d.Ticks / 10.0).ToString("0", CultureInfo.InvariantCulture) + " µs";
}
