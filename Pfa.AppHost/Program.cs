// The app model: what runs, who talks to whom, and what waits for what.
// Run mode starts it under DCP with the Aspire dashboard; `--publisher manifest` describes it for azd.
// Data stores run as Aspire's stock containers, or as local processes where no container runtime answers
// (Hosting/LocalDataStores.cs: the AppHost:DataStores setting).
using Pfa.AppHost.Hosting;
using Pfa.ServiceDefaults;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgres(PfaResources.Postgres, port: builder.HostPort(PfaResources.Postgres, 54320))
    .WithDataVolume()
    .WithPgAdmin(admin => admin.WithHostPort(builder.HostPort(PfaResources.PgAdmin, 5350)).RunAsLocalProcess(), containerName: PfaResources.PgAdmin)
    .RunAsLocalProcess()
    .PublishAsAzurePostgresFlexibleServer("pg_trgm"); // the migrations create pg_trgm (trigram search); Azure must allow-list it
var pfadb = postgres.AddDatabase(PfaResources.Database)
    .WithBackupCommand() // "Back up" in the dashboard, as ./pfa backup (Hosting/BackupCommands.cs)
    .WithLegacyImportCommands(); // "Import legacy data" (and a dry run), as ./pfa import-legacy (Hosting/LegacyImportCommands.cs)
if (builder.Configuration[ExistingPostgres.SettingKey] == "true")
{
    // Deploy against an existing PostgreSQL (docs/deploy.md): azd asks for the pfadb connection string instead.
    pfadb.PublishAsConnectionString();
}

var cache = builder.AddRedis(PfaResources.Redis, port: builder.HostPort(PfaResources.Redis, 63790))
    .WithDataVolume()
    .RunAsLocalProcess()
    .PublishAsAzureRedis();

// Stands in for PEMS (HxGN EAM), speaking its wire format.
var pems = builder.AddProject<Projects.Pfa_PemsSimulator>(PfaResources.PemsSimulator)
    .WithHttpHealthCheck("/health")
    .ExcludeFromManifest();

// The API's token signing key: generated once, kept in user secrets (run) or the azd environment (deploy).
var jwtKey = builder.AddParameter(PfaResources.JwtKey, new GenerateParameterDefault { MinLength = 64, Special = false }, secret: true, persist: true);

// The first administrator's password (user "admin", forced change at first sign-in): generated once like the key,
// shown in the dashboard's parameters (run) or kept in the azd environment / Key Vault (deploy). Passed as an environment
// variable only, never on a command line; the API uses it only while the database has no user at all.
var adminPassword = builder.AddParameter(PfaResources.AdminPassword, new GenerateParameterDefault { MinLength = 20, Special = false }, secret: true, persist: true);

var api = builder.AddProject<Projects.Pfa_Api>(PfaResources.Api)
    .WithReference(pfadb).WaitFor(pfadb)
    .WithReference(cache).WaitFor(cache)
    .WithEnvironment("Jwt__Key", jwtKey)
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    // azd creates no schema: the API migrates on start (under an advisory lock, so replicas do not race).
    .WithEnvironment("Database__MigrateOnStartup", "true")
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithUrl("/scalar/v1", "API reference (Scalar)");

var syncworker = builder.AddProject<Projects.Pfa_SyncWorker>(PfaResources.SyncWorker)
    .WithReference(pfadb).WaitFor(pfadb)
    .WithReference(cache).WaitFor(cache) // "organization synced" events for the API and UI
    .WithHttpHealthCheck("/health")
    .WithSyncNowCommand(pfadb);
if (builder.ExecutionContext.IsRunMode)
{
    syncworker.WithReference(pems).WaitFor(pems);
    // The API reads PEMS's organization list for the organizations admin; it starts without PEMS (503 until it answers).
    api.WithReference(pems);
    // Developer commands in the dashboard (Hosting/DeveloperCommands.cs); Development only.
    api.WithResetDemoDataCommand(pfadb, pems);
}
else
{
    // Deployed, the worker (and the API, for the organization list) talk to the real PEMS: same service-discovery key,
    // values from one set of deployment parameters.
    var pemsUrl = builder.AddParameter(PfaResources.PemsUrl);
    var pemsTenant = builder.AddParameter(PfaResources.PemsTenant);
    var pemsUsername = builder.AddParameter(PfaResources.PemsUsername);
    var pemsPassword = builder.AddParameter(PfaResources.PemsPassword, secret: true);
    foreach (var service in new IResourceBuilder<ProjectResource>[] { syncworker, api })
        service
            .WithEnvironment("services__pems__http__0", pemsUrl)
            .WithEnvironment("PEMS_TENANT", pemsTenant)
            .WithEnvironment("PEMS_USERNAME", pemsUsername)
            .WithEnvironment("PEMS_PASSWORD", pemsPassword);
}

var web = builder.AddProject<Projects.Pfa_Web>(PfaResources.Web)
    .WithReference(api).WaitFor(api)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", url => url.DisplayText = "Sign in (web)");
// Single sign-on (Entra ID or any OpenID Connect issuer) when deployed with Deploy:Sso=true (docs/deploy.md).
builder.AddSingleSignOnParameters(api, web);
// The assistant's language model, optional: referenced only when the AppHost has ConnectionStrings:ai (user secrets when
// run, the azd environment when deployed); it reaches the API as ConnectionStrings__ai, a secret, never an argument.
if (!string.IsNullOrWhiteSpace(builder.Configuration[$"ConnectionStrings:{PfaResources.Ai}"]))
    api.WithReference(builder.AddConnectionString(PfaResources.Ai));

builder.Build().Run();
