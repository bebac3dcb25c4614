using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.UserSecrets;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

public interface IDistributedApplicationBuilder
{
    ConfigurationManager Configuration { get; }
    string EnvironmentName { get; }
    DistributedApplicationExecutionContext ExecutionContext { get; }
    DistributedApplicationOptions Options { get; }

    /// <summary>The directory of the AppHost project; project paths and manifest paths are relative to it.</summary>
    string AppHostDirectory { get; }

    IReadOnlyList<IResource> Resources { get; }

    IResourceBuilder<T> AddResource<T>(T resource) where T : IResource;
    IResourceBuilder<T> CreateResourceBuilder<T>(T resource) where T : IResource;
    DistributedApplication Build();
}

internal sealed class DistributedApplicationBuilder : IDistributedApplicationBuilder
{
    private readonly List<IResource> _resources = [];

    public DistributedApplicationBuilder(DistributedApplicationOptions options)
    {
        Options = options;
        var assembly = options.AppHostAssembly ?? Assembly.GetEntryAssembly() ?? throw new InvalidOperationException("No AppHost assembly.");
        options.AppHostAssembly = assembly;
        AppHostDirectory = AppHostProjectLocator.FindProjectDirectory(assembly);

        Configuration = new ConfigurationManager();
        Configuration.SetBasePath(AppHostDirectory);
        Configuration.AddEnvironmentVariables("DOTNET_");
        EnvironmentName = options.EnvironmentName ?? Configuration["ENVIRONMENT"] ?? "Production";
        Configuration.AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{EnvironmentName}.json", optional: true);
        UserSecretsId = assembly.GetCustomAttribute<UserSecretsIdAttribute>()?.UserSecretsId;
        if (UserSecretsId is not null && !options.IsTesting)
        {
            Configuration.AddJsonFile(PathHelper.GetSecretsPathFromSecretsId(UserSecretsId), optional: true, reloadOnChange: false);
        }
        Configuration.AddEnvironmentVariables();
        Configuration.AddCommandLine(options.Args, new Dictionary<string, string>
        {
            ["--publisher"] = "Publishing:Publisher",
            ["--output-path"] = "Publishing:OutputPath",
            ["--data-dir"] = "AppHost:DataDirectory",
            ["--only"] = "AppHost:Only",
        });
        if (options.ConfigurationOverrides.Count > 0) Configuration.AddInMemoryCollection(options.ConfigurationOverrides);

        var publisher = Configuration["Publishing:Publisher"];
        ExecutionContext = string.IsNullOrEmpty(publisher)
            ? new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run)
            : new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish, publisher, Configuration["Publishing:OutputPath"]);

        ApplyConfiguredOptions();
    }

    public ConfigurationManager Configuration { get; }
    public string EnvironmentName { get; }
    public DistributedApplicationExecutionContext ExecutionContext { get; }
    public DistributedApplicationOptions Options { get; }
    public string AppHostDirectory { get; }
    public string? UserSecretsId { get; }
    public IReadOnlyList<IResource> Resources => _resources;

    public IResourceBuilder<T> AddResource<T>(T resource) where T : IResource
    {
        if (_resources.Any(r => string.Equals(r.Name, resource.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"Cannot add resource of type '{resource.GetType().Name}' with name '{resource.Name}' because a resource of that name already exists. Resource names are case-insensitive.");
        }
        _resources.Add(resource);
        return CreateResourceBuilder(resource);
    }

    public IResourceBuilder<T> CreateResourceBuilder<T>(T resource) where T : IResource => new ResourceBuilder<T>(this, resource);

    public DistributedApplication Build()
    {
        if (TestingHook.Current is { } hook && hook.Capture(this))
        {
            // Under the testing builder the entry point only describes the model; the test builds and starts it.
            return DistributedApplication.Captured();
        }
        return new DistributedApplication(this);
    }

    private void ApplyConfiguredOptions()
    {
        Options.DataDirectory ??= Configuration["AppHost:DataDirectory"];
        if (Options.OnlyResources is null && Configuration["AppHost:Only"] is { Length: > 0 } only)
        {
            Options.OnlyResources = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        if (Options.WaitTimeout is null && TimeSpan.TryParse(Configuration["AppHost:WaitTimeout"], System.Globalization.CultureInfo.InvariantCulture, out var timeout))
        {
            Options.WaitTimeout = timeout;
        }
        if (bool.TryParse(Configuration["AppHost:RandomizePorts"], out var randomize) && randomize) Options.RandomizePorts = true;
        if (Options.DashboardEnabled is null && bool.TryParse(Configuration["AppHost:Dashboard:Enabled"], out var dashboard)) Options.DashboardEnabled = dashboard;
    }
}

/// <summary>Finds the AppHost project directory from its build output (bin/Debug/net10.0 → project dir).</summary>
internal static class AppHostProjectLocator
{
    public static string FindProjectDirectory(Assembly assembly)
    {
        var metadata = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "AppHostProjectDirectory")?.Value;
        if (metadata is not null && Directory.Exists(metadata)) return metadata;
        return AppContext.BaseDirectory;
    }
}
