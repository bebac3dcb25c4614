using System.Net;
using System.Text.Json;
using Pfa.Hosting;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Testing;

namespace Pfa.Tests.Dashboard;

/// <summary>
/// The whole stack through the AppHost test entry point with its real dashboard turned on: the services export to the
/// dashboard the AppHost launched (its OTLP key in their environment), and the dashboard talks to the AppHost's resource
/// service. Its own collection, so the other stack tests keep running without a dashboard.
/// </summary>
public sealed class DashboardStackFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The dashboard's UI, from the AppHost's model.</summary>
    public Uri DashboardUrl => App.GetEndpoint(DashboardResource.ResourceName, DashboardResource.UiEndpointName);

    /// <summary>The login link the AppHost prints (one-time browser token).</summary>
    public string LoginUrl => App.Dashboard.LoginUrl ?? throw new InvalidOperationException("The AppHost started no dashboard.");

    public async ValueTask InitializeAsync()
    {
        App = await DistributedApplicationTestingBuilder.StartAsync<Projects.Pfa_AppHost>(o => o.DashboardEnabled = true, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
    }

    /// <summary>An HttpClient that followed the login link, so it carries the dashboard's auth cookie.</summary>
    public async Task<HttpClient> LoginAsync()
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = DashboardUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var response = await client.GetAsync(LoginUrl);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"The login link answered {(int)response.StatusCode}, not a redirect.");
        return client;
    }

    /// <summary>
    /// Polls a telemetry query of the dashboard until <paramref name="found"/> holds: the services export every second
    /// (Development), and a trace is 404 until its first span arrives.
    /// </summary>
    public static async Task<T> EventuallyAsync<T>(HttpClient dashboard, string path, Func<T, bool> found)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = "";
        while (true)
        {
            using (var response = await dashboard.GetAsync(path))
            {
                var body = await response.Content.ReadAsStringAsync();
                last = $"{(int)response.StatusCode} {body}";
                if (response.IsSuccessStatusCode && JsonSerializer.Deserialize<T>(body, DashboardProcess.Json) is { } value && found(value))
                    return value;
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotFound))
                    throw new InvalidOperationException($"{path} answered {last}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path} never matched; last answer: {last}");
            await Task.Delay(250);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardStackCollection : ICollectionFixture<DashboardStackFixture>
{
    public const string Name = "dashboard-stack";
}
