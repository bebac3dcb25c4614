using Pfa.Web;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddPfaWeb();

var app = builder.Build();
app.MapPfaWeb();
app.Run();
