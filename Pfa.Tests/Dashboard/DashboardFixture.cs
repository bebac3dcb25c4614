namespace Pfa.Tests.Dashboard;

/// <summary>One dashboard process against the fake resource service, shared by the tests that only add data to it.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public FakeResourceService Resources { get; private set; } = null!;
    public DashboardProcess Dashboard { get; private set; } = null!;
    public string StoragePath { get; } = Path.Combine(Path.GetTempPath(), "pfa-dashboard-tests", Guid.NewGuid().ToString("N"));

    public async ValueTask InitializeAsync()
    {
        Resources = await FakeResourceService.StartAsync();
        Dashboard = await DashboardProcess.StartAsync(StoragePath, Resources.Url, FakeResourceService.ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (Dashboard is not null) await Dashboard.DisposeAsync();
        if (Resources is not null) await Resources.DisposeAsync();
        try { Directory.Delete(StoragePath, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
