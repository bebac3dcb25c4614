namespace Pfa.Hosting.Orchestration;

/// <summary>Reprints the resource table whenever a state or health changes (debounced, so a burst prints once).</summary>
internal sealed class ResourceTablePrinter : IDisposable
{
    private readonly ResourceNotificationService _notifications;
    private readonly ConsoleWriter _console;
    private readonly IReadOnlyList<string> _order;
    private readonly Timer _timer;
    private string _lastPrinted = "";

    public ResourceTablePrinter(ResourceNotificationService notifications, ConsoleWriter console, IReadOnlyList<string> order)
    {
        _notifications = notifications;
        _console = console;
        _order = order;
        _timer = new Timer(_ => Print(), null, Timeout.Infinite, Timeout.Infinite);
        notifications.SnapshotChanged += OnChanged;
    }

    private void OnChanged(ResourceSnapshot snapshot) => _timer.Change(300, Timeout.Infinite);

    private void Print()
    {
        var table = ResourceTable.Render(_notifications.Snapshots, _order);
        if (table == _lastPrinted) return;
        _lastPrinted = table;
        _console.WriteBlock(Environment.NewLine + table, ConsoleColor.White);
    }

    public void PrintReady(DistributedApplication app)
    {
        Print();
        var lines = new List<string> { "All resources are ready:" };
        foreach (var snapshot in _notifications.Snapshots.OrderBy(s => _order.ToList().IndexOf(s.Name)).Where(s => s.Urls.Count > 0))
        {
            lines.Add($"  {snapshot.Name,-12} {string.Join("  ", snapshot.Urls)}");
        }
        if (app.Dashboard.LoginUrl is { } login && _notifications.TryGet(ApplicationModel.DashboardResource.ResourceName) is { IsReady: true })
        {
            lines.Add($"Dashboard: {login}");
        }
        lines.Add($"Logs: {Path.Combine(app.DataDirectory, "logs")}   Press Ctrl+C to stop.");
        _console.WriteBlock(string.Join(Environment.NewLine, lines), ConsoleColor.Green);
    }

    public void Dispose()
    {
        _notifications.SnapshotChanged -= OnChanged;
        _timer.Dispose();
    }
}
