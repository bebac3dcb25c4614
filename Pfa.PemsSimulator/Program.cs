using Pfa.PemsSimulator;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPemsSimulator();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UsePemsFaultInjection();
app.MapGet("/", () => Results.Text("PEMS simulator (HxGN EAM wire format). See docs/pems.md."));
app.MapAxisApi();
if (app.AdminEnabled()) app.MapAdminApi();

app.Run();
