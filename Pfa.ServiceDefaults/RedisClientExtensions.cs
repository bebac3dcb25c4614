using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Stand-in for Aspire.StackExchange.Redis: one <see cref="IConnectionMultiplexer"/> from
/// <c>ConnectionStrings:{name}</c>, tolerant of Redis starting after the service, with a health check.
/// </summary>
public static class RedisClientExtensions
{
    public static void AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    $"ConnectionString is missing. It should be provided in 'ConnectionStrings:{connectionName}' " +
                    $"(environment variable ConnectionStrings__{connectionName}).");
            }
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options, new LoggerTextWriter(sp.GetRequiredService<ILoggerFactory>().CreateLogger("StackExchange.Redis")));
        });

        builder.Services.AddHealthChecks().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), name: "redis");
    }

    /// <summary>Routes the multiplexer's connect log to ILogger at Debug, where secrets are never printed by SE.Redis.</summary>
    private sealed class LoggerTextWriter(ILogger logger) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void WriteLine(string? value)
        {
            if (value is not null) logger.LogDebug("{RedisMessage}", value);
        }
    }
}
