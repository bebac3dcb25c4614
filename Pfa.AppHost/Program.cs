// The app model: what runs, who talks to whom, and what waits for what.
// Run mode starts it as local processes; `--publisher manifest` describes it for azd.
var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgres(PfaResources.Postgres)
    .WithDataDirectory()
    .WithPgAdmin(name: PfaResources.PgAdmin);
var pfadb = postgres.AddDatabase(PfaResources.Database);

var cache = builder.AddRedis(PfaResources.Redis);

// Stands in for PEMS (HxGN EAM), speaking its wire format.
var pems = builder.AddProject<Projects.Pfa_PemsSimulator>(PfaResources.PemsSimulator)
    .WithHttpHealthCheck("/health");

var api = builder.AddProject<Projects.Pfa_Api>(PfaResources.Api)
    .WithReference(pfadb).WaitFor(pfadb)
    .WithReference(cache).WaitFor(cache)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Pfa_SyncWorker>(PfaResources.SyncWorker)
    .WithReference(pfadb).WaitFor(pfadb)
    .WithReference(pems).WaitFor(pems)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Pfa_Web>(PfaResources.Web)
    .WithReference(api).WaitFor(api)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.Build().Run();
