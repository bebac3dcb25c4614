using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Pfa.Api.Apis;
using Pfa.Api.Infrastructure;
using Pfa.Data;
using Pfa.ServiceDefaults;
using Scalar.AspNetCore;

namespace Pfa.Api;

/// <summary>The API's service wiring and pipeline, so Program.cs reads like a table of contents.</summary>
public static class Extensions
{
    public const string MigrateCommand = "--migrate";

    public static IHostApplicationBuilder AddPfaApiServices(this IHostApplicationBuilder builder, bool migrateOnly)
    {
        builder.AddNpgsqlDbContext<PfaDbContext>(PfaResources.Database);
        builder.AddRedisClient(PfaResources.Redis);

        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());

        var jwt = builder.Configuration.GetSection("Jwt").Get<JwtSettings>() ?? new JwtSettings();
        // Fail at start, not at the first request, when the signing key is missing (the migrate command needs none).
        if (!migrateOnly) jwt.SigningKey();
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
                IssuerSigningKey = migrateOnly ? null : jwt.SigningKey(),
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
        return builder;
    }

    /// <summary>
    /// Development migrates and seeds demo users at start; deployments migrate at start when
    /// <c>Database:MigrateOnStartup</c> is set (the AppHost sets it: azd creates no database schema).
    /// </summary>
    public static Task MigrateIfConfiguredAsync(this WebApplication app)
    {
        var development = app.Environment.IsDevelopment();
        return development || app.Configuration.GetValue<bool>("Database:MigrateOnStartup")
            ? Startup.MigrateAsync(app.Services, seedDemo: development)
            : Task.CompletedTask;
    }

    public static WebApplication MapPfaApis(this WebApplication app)
    {
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
        app.MapEventsApi();
        return app;
    }
}
