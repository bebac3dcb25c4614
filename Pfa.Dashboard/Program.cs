using Pfa.Dashboard;

var builder = WebApplication.CreateBuilder(args);
builder.AddPfaDashboard();

var app = builder.Build();
app.MapPfaDashboard();
app.Run();
