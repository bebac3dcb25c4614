using Microsoft.AspNetCore.Components;

namespace Pfa.Dashboard.Components;

/// <summary>
/// A page that follows live data without re-rendering per item: once interactive, a 1-second timer calls
/// <see cref="RefreshIfChangedAsync"/>, which compares a version number and renders only when something changed.
/// </summary>
public abstract class LiveComponentBase : ComponentBase, IAsyncDisposable
{
    protected static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _disposed = new();
    private PeriodicTimer? _timer;

    protected CancellationToken Disposed => _disposed.Token;

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && _timer is null)
        {
            _timer = new PeriodicTimer(RefreshInterval);
            _ = TickAsync(_timer);
        }
    }

    private async Task TickAsync(PeriodicTimer timer)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token))
                await InvokeAsync(RefreshIfChangedAsync);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away.
        }
    }

    /// <summary>Called every second on the renderer's thread; call StateHasChanged only if something changed.</summary>
    protected abstract Task RefreshIfChangedAsync();

    public virtual ValueTask DisposeAsync()
    {
        _disposed.Cancel();
        _timer?.Dispose();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
