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
        if (!string.IsNullOrWhiteSpace(config.GetConnectionString(PfaResources.Redis))) builder.AddRedisClient(PfaResources.Redis);

        builder.Services.Configure<SyncOptions>(config.GetSection(SyncOptions.SectionName));
        // PemsClient retries, times attempts and honours Retry-After itself; a second retry layer would multiply the load on PEMS.
#pragma warning disable EXTEXP0001 // the documented way to undo ConfigureHttpClientDefaults' standard handler for one client
        // One throttle for every PEMS request of this process (write-back and read pages alike: PEMS limits the service user).
        builder.Services.AddSingleton(_ => new PemsThrottle(config.GetValue("WriteBack:MaxRequestsPerSecond", DefaultMaxRequestsPerSecond)));
        builder.Services.AddPemsClientFactory().RemoveAllResilienceHandlers()
            .AddHttpMessageHandler(sp => sp.GetRequiredService<PemsThrottle>().CreateHandler());
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton(_ => PemsConnection(config));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<PemsClientFactory>().Create(sp.GetRequiredService<PemsClientOptions>()));
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

    /// <summary>
    /// PEMS endpoint and credentials: section "Pems", then PEMS_TENANT / PEMS_USERNAME / PEMS_PASSWORD (what the AppHost's
    /// publish mode passes), and the endpoint from service discovery (services__pems__http__0) when none is configured.
    /// </summary>
    public static PemsClientOptions PemsConnection(IConfiguration config)
    {
        var options = config.GetSection(PemsClientOptions.SectionName).Get<PemsClientOptions>() ?? new PemsClientOptions();
        if (config["PEMS_TENANT"] is { Length: > 0 } tenant) options.Tenant = tenant;
        if (config["PEMS_USERNAME"] is { Length: > 0 } user) options.UserName = user;
        if (config["PEMS_PASSWORD"] is { Length: > 0 } password) options.Password = password;
        if (options.BaseAddress is null && config[$"services:{PfaResources.PemsSimulator}:http:0"] is { Length: > 0 } url)
            options.BaseAddress = RestServices(new Uri(url));
        if (options.BaseAddress is null)
            throw new InvalidOperationException($"No PEMS endpoint: set Pems:BaseAddress or services__{PfaResources.PemsSimulator}__http__0.");
        return options;
    }

    /// <summary>A bare host (as service discovery gives it) gets PEMS's REST root; an explicit path is kept.</summary>
    internal static Uri RestServices(Uri url) =>
        url.AbsolutePath is "/" or "" ? new Uri(url, "axis/restservices/") : url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
}
