using Pfa.Data;
using Pfa.Pems;
using Pfa.Pems.Mapping;
using Pfa.ServiceDefaults;

namespace Pfa.SyncWorker;

public static class SyncWorkerExtensions
{
    /// <summary>PEMS is said to allow 10 requests a second (the simulator's 429 threshold when enabled); 8 leaves headroom.</summary>
    public const double DefaultMaxRequestsPerSecond = 8;

    /// <summary>The read sync: PostgreSQL, optional Redis for events, the PEMS client, the runner and its scheduler.</summary>
    public static IHostApplicationBuilder AddReadSync(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.AddPfaDatabase(PfaResources.Database);
        // Redis is optional: without it events are skipped (the API caches key on mirror_version, so they never go stale).
        if (!string.IsNullOrWhiteSpace(config.GetConnectionString(PfaResources.Redis))) builder.AddRedisClient(PfaResources.Redis, configureOptions: o =>
        {
            // An optional Redis never blocks a sync: commands fail at once while disconnected, the client reconnects behind.
            o.AbortOnConnectFail = false;
            o.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast;
            o.ConnectTimeout = 2000;
            o.SyncTimeout = 1000;
            o.AsyncTimeout = 1000;
        });

        builder.Services.Configure<SyncOptions>(config.GetSection(SyncOptions.SectionName));
        // PemsClient retries, times attempts and honours Retry-After itself; a second retry layer would multiply the load on PEMS.
#pragma warning disable EXTEXP0001 // the documented way to undo ConfigureHttpClientDefaults' standard handler for one client
        // One throttle for every PEMS request of this process (write-back and read pages alike: PEMS limits the service user).
        builder.Services.AddSingleton(_ => new PemsThrottle(config.GetValue("WriteBack:MaxRequestsPerSecond", DefaultMaxRequestsPerSecond)));
        builder.Services.AddDefaultPemsClient(config, PfaResources.PemsSimulator).RemoveAllResilienceHandlers()
            .AddHttpMessageHandler(sp => sp.GetRequiredService<PemsThrottle>().CreateHandler());
#pragma warning restore EXTEXP0001
        // Per-organization connections (pems_connection) with passwords decrypted by the key ring the API shares.
        builder.Services.AddPfaDataProtection();
        builder.Services.AddSingleton(sp => new PemsConnections(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<PemsConnectionSecrets>(),
            sp.GetRequiredService<PemsClientOptions>(), sp.GetRequiredService<PemsClient>(), sp.GetRequiredService<PemsClientFactory>().Create));
        builder.Services.AddSingleton(_ => new PemsRowNormalizer(config.GetSection("Sync:FieldMapping").Get<PemsFieldMapping>() is { Rules.Count: > 0 } m
            ? m : PemsFieldMapping.Default));
        builder.Services.AddSingleton<SyncEvents>();
        builder.Services.AddSingleton<SyncRunner>();
        builder.Services.AddSingleton<WriteBackRunner>();
        builder.Services.AddSingleton<SchemaGuard>();
        if (config.GetValue("Sync:Enabled", true)) builder.Services.AddHostedService<SyncScheduler>();
        return builder;
    }

    /// <summary>The default PEMS connection (<see cref="PemsDefaultConnection"/>, shared with the API).</summary>
    public static PemsClientOptions PemsConnection(IConfiguration config) => PemsDefaultConnection.FromConfiguration(config, PfaResources.PemsSimulator);

    internal static Uri RestServices(Uri url) => PemsDefaultConnection.RestServices(url);
}
