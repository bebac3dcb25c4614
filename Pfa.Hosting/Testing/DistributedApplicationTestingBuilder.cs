using System.Reflection;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Testing;

/// <summary>
/// In the spirit of Aspire.Hosting.Testing: builds the app model from the AppHost's own Program.cs, with test
/// defaults (ephemeral data directory, random ports, fast unsafe storage, quiet console), for the test to adjust and start.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static async Task<IDistributedApplicationBuilder> CreateAsync<TAppHost>(string[]? args = null, Action<DistributedApplicationOptions>? configure = null)
        where TAppHost : IProjectMetadata, new()
    {
        var assembly = Assembly.Load(Path.GetFileNameWithoutExtension(new TAppHost().ProjectPath));
        var entryPoint = assembly.EntryPoint ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no entry point.");
        var hook = new TestingHook(options =>
        {
            options.AppHostAssembly = assembly;
            options.IsTesting = true;
            options.EphemeralData = true;
            options.RandomizePorts = true;
            options.FastUnsafeStorage = true;
            options.ConsoleOutput = false;
            options.EnvironmentName ??= "Development";
            options.WaitTimeout ??= TimeSpan.FromSeconds(90);
            configure?.Invoke(options);
            // Tests that are not about the dashboard do without it (one process and a web server less per app).
            options.DashboardEnabled ??= false;
        });

        await Task.Run(async () =>
        {
            hook.Install();
            var result = entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? null : [args ?? []]);
            if (result is Task task) await task.ConfigureAwait(false);
        }).ConfigureAwait(false);

        return hook.Builder ?? throw new InvalidOperationException($"The entry point of {assembly.GetName().Name} did not call Build() on a distributed application builder.");
    }

    /// <summary>Builds and starts the app; the caller disposes it (which stops everything and deletes ephemeral data).</summary>
    public static async Task<DistributedApplication> StartAsync<TAppHost>(Action<DistributedApplicationOptions>? configure = null, CancellationToken cancellationToken = default)
        where TAppHost : IProjectMetadata, new()
    {
        var builder = await CreateAsync<TAppHost>(configure: configure).ConfigureAwait(false);
        var app = builder.Build();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return app;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
