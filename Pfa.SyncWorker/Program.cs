using Pfa.SyncWorker;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddReadSync();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text("PFA Vanguard sync worker"));

app.Run();

namespace Pfa.SyncWorker
{
    /// <summary>Entry-point marker for WebApplicationFactory in tests.</summary>
    public sealed class SyncWorkerMarker;
}
