using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Pfa.Api.Apis;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.ServiceDefaults;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDbContext<PfaDbContext>(PfaResources.Database);
builder.AddRedisClient(PfaResources.Redis);

// Request size limit: the largest legitimate body is a 5000-item draft batch.
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4 * 1024 * 1024);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());

var jwt = builder.Configuration.GetSection("Jwt").Get<JwtSettings>() ?? new JwtSettings();
// Fail at start, not at the first request, when the signing key is missing (the migrate command needs none).
if (!args.Contains("--migrate")) jwt.SigningKey();
builder.Services.AddSingleton(jwt);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<TokenService>();
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
{
    o.MapInboundClaims = false;
    o.TokenValidationParameters = new TokenValidationParameters
    {
        ValidIssuer = jwt.Issuer,
        ValidAudience = jwt.Audience,
        IssuerSigningKey = jwt.SigningKey(),
        ClockSkew = TimeSpan.FromSeconds(30),
    };
});
builder.Services.AddAuthorization();

// Per-user (or per-IP when anonymous) fixed window; the login route shares it, which also slows password guessing.
var permits = builder.Configuration.GetValue("RateLimit:PermitsPerMinute", 600);
builder.Services.AddRateLimiter(o =>
{
    o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
        RateLimitPartition.GetFixedWindowLimiter(
            http.User.FindFirstValue("sub") ?? http.Connection.RemoteIpAddress?.ToString() ?? "anonymous",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1) }));
});

builder.Services.AddScoped<OrgAccess>();
builder.Services.AddSingleton<EventPublisher>();
builder.Services.AddSingleton<KpiCache>();

var app = builder.Build();

// `Pfa.Api --migrate` applies migrations and exits: the deployment step. Development also migrates at start.
if (args.Contains("--migrate"))
{
    await Startup.MigrateAsync(app.Services, seedDemo: false);
    return;
}
if (app.Environment.IsDevelopment())
    await Startup.MigrateAsync(app.Services, seedDemo: true);

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
app.MapScalarApiReference();
app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text("PFA Vanguard API")).ExcludeFromDescription();
app.MapAuthApi();
app.MapPfaApi();
app.MapDraftsApi();
app.MapKpiApi();
app.MapConflictsApi();
app.MapSyncApi();
app.MapExportApi();

app.Run();
