using System.Globalization;

namespace Pfa.Web.State;

/// <summary>
/// Times as the viewer reads them: in the browser's time zone, with the offset shown ("2026-12-06 17:15:02 UTC+01:00").
/// The server learns the zone once the circuit is interactive (MainLayout, wwwroot/viewer-zone.js) and cascades a new
/// clock; until then, and in prerendered HTML, times read in UTC and say so.
/// </summary>
public sealed record ViewerClock(TimeZoneInfo Zone)
{
    public static readonly ViewerClock Utc = new(TimeZoneInfo.Utc);

    /// <summary>The clock for an IANA zone id from the browser; an unknown id falls back to UTC rather than failing.</summary>
    public static ViewerClock For(string? zoneId) =>
        !string.IsNullOrWhiteSpace(zoneId) && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone) ? new ViewerClock(zone) : Utc;

    public string Format(DateTimeOffset? at, bool seconds = true)
    {
        if (at is not { } t) return "";
        var local = TimeZoneInfo.ConvertTime(t, Zone);
        var text = local.ToString(seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return $"{text} {OffsetLabel(local.Offset)}";
    }

    private string OffsetLabel(TimeSpan offset) => ReferenceEquals(Zone, TimeZoneInfo.Utc) || Zone.Id is "UTC" or "Etc/UTC"
        ? "UTC"
        : $"UTC{(offset < TimeSpan.Zero ? "−" : "+")}{offset.Duration():hh\\:mm}";
}
