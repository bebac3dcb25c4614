namespace Pfa.Dashboard.Telemetry;

/// <summary>Level names (as .NET names them) and the lowest OTLP severity number of each, for "this level and above" filters.</summary>
public static class LogLevels
{
    private static readonly (string Name, int MinSeverity)[] Levels =
        [("Trace", 1), ("Debug", 5), ("Information", 9), ("Warning", 13), ("Error", 17), ("Critical", 21)];

    public static IEnumerable<string> Names => Levels.Select(l => l.Name);

    public static bool TryMinSeverity(string name, out int minSeverity)
    {
        foreach (var (n, min) in Levels)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                minSeverity = min;
                return true;
            }
        }
        minSeverity = 0;
        return false;
    }
}
