using System.Text;

namespace Pfa.Hosting.Orchestration;

/// <summary>The console's view of the app: one row per resource, like the Aspire dashboard's resource page.</summary>
internal static class ResourceTable
{
    public static string Render(IEnumerable<ResourceSnapshot> snapshots, IReadOnlyList<string> order)
    {
        var rows = snapshots.OrderBy(s => order.IndexOf(s.Name)).Select(s => new[]
        {
            s.Name, s.Kind, s.State + (s.ExitCode is { } code && s.State != "Running" ? $" ({code})" : ""),
            s.Health switch { ResourceHealth.Healthy => "Healthy", ResourceHealth.Unhealthy => "Unhealthy", _ => "" },
            s.Urls.FirstOrDefault() ?? "", s.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        }).ToList();
        string[] header = ["NAME", "KIND", "STATE", "HEALTH", "URL", "PID"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();

        var text = new StringBuilder();
        void Row(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Row(header);
        foreach (var row in rows) Row(row);
        return text.ToString();
    }

    private static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return int.MaxValue;
    }
}
