namespace Pfa.Hosting.Orchestration;

/// <summary>Serialises console output of all resources: name-prefixed lines, coloured on a terminal.</summary>
internal sealed class ConsoleWriter
{
    private static readonly ConsoleColor[] Palette =
        [ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Magenta, ConsoleColor.Yellow, ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkGreen, ConsoleColor.DarkYellow];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ConsoleColor> _colors = new(StringComparer.Ordinal);
    private readonly bool _color = !Console.IsOutputRedirected;
    private int _width = 10;

    public void Register(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            _colors[name] = Palette[_colors.Count % Palette.Length];
            _width = Math.Max(_width, name.Length);
        }
    }

    public void WriteResourceLine(string resource, string line, bool isError)
    {
        lock (_gate)
        {
            if (_color) Console.ForegroundColor = _colors.GetValueOrDefault(resource, ConsoleColor.Gray);
            Console.Out.Write(resource.PadRight(_width));
            Console.Out.Write(" | ");
            if (_color) Console.ResetColor();
            if (isError && _color) Console.ForegroundColor = ConsoleColor.Red;
            Console.Out.WriteLine(line);
            if (isError && _color) Console.ResetColor();
        }
    }

    public void WriteBlock(string text, ConsoleColor? color = null)
    {
        lock (_gate)
        {
            if (_color && color is { } c) Console.ForegroundColor = c;
            Console.Out.WriteLine(text);
            if (_color && color is not null) Console.ResetColor();
        }
    }
}
