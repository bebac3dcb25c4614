var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text("PFA Vanguard API"));

app.Run();

/// <summary>Marker for WebApplicationFactory in tests (two web projects would make <c>Program</c> ambiguous).</summary>
public partial class Program;
