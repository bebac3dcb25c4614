using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Pfa.AppHost.Hosting;

/// <summary>redis-server standing in for the stock Redis container: same name, endpoint, password parameter and connection string.</summary>
public sealed class LocalRedisResource(RedisResource redis, string command, string directory)
    : ExecutableResource(redis.Name, command, directory), IResourceWithConnectionString
{
    public RedisResource Redis { get; } = redis;
    public string ConfigFile => Path.Combine(WorkingDirectory, "redis.conf");

    public ReferenceExpression ConnectionStringExpression => Redis.ConnectionStringExpression;

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        ((IResourceWithConnectionString)Redis).GetConnectionProperties();
}

public static class LocalRedisExtensions
{
    /// <summary>
    /// Runs this Redis as a local <c>redis-server</c> when the data-store mode says so: loopback only, snapshots in
    /// <c>&lt;data directory&gt;/&lt;name&gt;</c> (like the container's <c>--save 60 1</c>), the password in a 0600 config file,
    /// never on the command line (the dashboard shows arguments).
    /// </summary>
    public static IResourceBuilder<RedisResource> RunAsLocalProcess(this IResourceBuilder<RedisResource> builder)
    {
        var app = builder.ApplicationBuilder;
        if (!LocalDataStores.UseLocalProcesses(app)) return builder;

        var redis = builder.Resource;
        var local = new LocalRedisResource(redis, LocalDataStores.FindOnPath("redis-server") ?? "redis-server",
            Path.Combine(LocalDataStores.DataDirectory(app), redis.Name));
        LocalProcessSwap.ShareEndpoints(redis, local);
        var fast = LocalDataStores.FastUnsafeStorage(app);

        var healthCheckKey = $"{redis.Name}_local_check";
        string? connectionString = null;
        app.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException("Connection string is unavailable"), name: healthCheckKey);

        app.CreateResourceBuilder(local)
            .WithIconName("Memory")
            .WithHealthCheck(healthCheckKey)
            .WithArgs(context =>
            {
                context.Args.Add(local.ConfigFile);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .OnConnectionStringAvailable(async (_, _, ct) => connectionString = await local.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false))
            .OnBeforeResourceStarted((_, e, ct) => LocalDataStores.ReportFailureAsync(
                e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(local), async () =>
                {
                    if (LocalDataStores.FindOnPath("redis-server") is null)
                    {
                        throw new DistributedApplicationException($"redis-server was not found on PATH. Install it ({LocalDataStores.InstallHint("redis-server")}) or run with containers (AppHost:DataStores=Containers).");
                    }
                    await WriteConfigAsync(local, fast, ct).ConfigureAwait(false);
                }));

        LocalProcessSwap.ReplaceAtStart(app, redis, local);
        return builder;
    }

    private static async Task WriteConfigAsync(LocalRedisResource local, bool fast, CancellationToken ct)
    {
        Directory.CreateDirectory(local.WorkingDirectory);
        var password = local.Redis.PasswordParameter is { } parameter ? await parameter.GetValueAsync(ct).ConfigureAwait(false) : null;
        var config = new StringBuilder()
            .AppendLine("bind 127.0.0.1 -::1")
            .AppendLine("protected-mode yes")
            .AppendLine("daemonize no")
            .AppendLine("logfile \"\"")
            .AppendLine(CultureInfo.InvariantCulture, $"dir \"{local.WorkingDirectory}\"")
            .AppendLine(fast ? "save \"\"" : "save 60 1")
            .AppendLine("appendonly no");
        if (password is not null) config.AppendLine(CultureInfo.InvariantCulture, $"requirepass \"{password}\"");

        // Created 0600 before anything is written: the password is never readable by others, not even for a moment.
        File.Delete(local.ConfigFile);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var stream = new FileStream(local.ConfigFile, options);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(config.ToString().AsMemory(), ct).ConfigureAwait(false);
    }
}
