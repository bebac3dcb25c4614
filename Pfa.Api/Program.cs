using Pfa.Api;
using Pfa.Api.Infrastructure;

var migrateOnly = args.Contains(Extensions.MigrateCommand);
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPfaApiServices(migrateOnly);
// The largest legitimate body is a 5000-item draft batch.
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4 * 1024 * 1024);

var app = builder.Build();

// `Pfa.Api --migrate` applies migrations and exits: an explicit deployment step.
if (migrateOnly)
{
    await Startup.MigrateAsync(app.Services, seedDemo: false);
    await Startup.BootstrapAdminAsync(app.Services);
    return;
}
await app.MigrateIfConfiguredAsync();
await Startup.BootstrapAdminAsync(app.Services);

app.MapPfaApis();
app.Run();
