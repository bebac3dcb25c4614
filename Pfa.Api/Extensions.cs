using Pfa.Api.Assistant;
using System.Globalization;
using System.Security.Claims;
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
        builder.AddPfaDatabase(PfaResources.Database, resetOnClose: false);
        // Aspire.StackExchange.Redis: one multiplexer (it keeps retrying when Redis starts later), a health check and tracing.
        builder.AddRedisClient(PfaResources.Redis, configureOptions: RedisBreaker.Configure);
        // Encrypts per-organization PEMS passwords with the key ring the worker shares (data_protection_keys).
        builder.Services.AddPfaDataProtection();

        // JSON options (enums by name, max depth) and malformed requests → 400 naming the culprit (Infrastructure/ClientErrors.cs).
        builder.Services.AddClientErrorHandling();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>().AddSchemaTransformer<MaskedRecordSchemaTransformer>());

        var jwt = builder.Configuration.GetSection("Jwt").Get<JwtSettings>() ?? new JwtSettings();
        // Fail at start, not at the first request, when the signing key is missing (the migrate command needs none).
        if (!migrateOnly) jwt.SigningKey();
        builder.Services.AddSingleton(jwt);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TokenService>();
        var auth = builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme);
        auth.AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = jwt.Issuer,
                ValidAudience = jwt.Audience,
                IssuerSigningKey = migrateOnly ? null : jwt.SigningKey(),
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            // Stamp and is_active against the database on every request: sessions end at once.
            o.Events = new JwtBearerEvents { OnTokenValidated = SessionValidation.OnTokenValidated };
        });
        // Single sign-on (Authentication:Oidc): the external issuer's tokens too, mapped to our users (Infrastructure/Sso.cs).
        auth.AddExternalBearer(builder.Configuration, jwt.Issuer);
        builder.Services.AddAuthorization();

        builder.Services.AddForwardedClient(builder.Configuration);
        builder.Services.AddAssistantModel(builder.Configuration);

        // Per user (per IP when anonymous) token bucket: a grid scrolled fast bursts, a script hammering the API does not
        // get past the sustained rate. The login route shares the anonymous bucket, which also slows password guessing.
        var limits = builder.Configuration.GetSection("RateLimit");
        var perMinute = Math.Max(1, limits.GetValue("PermitsPerMinute", 1200));
        var perSecond = Math.Max(1, perMinute / 60);
        var burst = Math.Max(perSecond, limits.GetValue("Burst", 200));
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                RateLimitPartition.GetTokenBucketLimiter(
                    http.User.FindFirstValue("sub") ?? http.Connection.RemoteIpAddress?.ToString() ?? "anonymous",
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = burst, TokensPerPeriod = perSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0, AutoReplenishment = true,
                    }));
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests.",
                        Detail = $"Slow down: retry in {Math.Ceiling(retryAfter.TotalSeconds)} s." },
                });
            };
        });

        // Failed-sign-in limits with back-off (Infrastructure/LoginThrottle.cs; Auth:Throttle).
        builder.Services.AddSingleton(builder.Configuration.GetSection("Auth:Throttle").Get<LoginThrottleOptions>() ?? new LoginThrottleOptions());
        builder.Services.AddSingleton<LoginMetrics>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddHttpContextAccessor(); // OrgAccess reads the memberships the session check loaded
        builder.Services.AddScoped<OrgAccess>();
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddScoped<UserAdministration>();
        builder.AddPfaAdministration();
        builder.Services.AddExceptionHandler<OutageHandler>();
        builder.Services.AddSingleton<RedisBreaker>();
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
        app.UseSecurityHeaders();
        // Per-address limits count browsers, not the web server (ForwardedClient).
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UsePasswordChangeGate();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapDefaultEndpoints();
        app.MapGet("/", () => Results.Text("PFA Vanguard API")).ExcludeFromDescription();
        app.MapAuthApi();
        app.MapPfaApi();
        app.MapHistoryApi();
        app.MapNewLinesApi();
        app.MapImportApi();
        app.MapDraftsApi();
        app.MapKpiApi();
        app.MapAssistantApi();
        app.MapPortfolioApi();
        app.MapConflictsApi();
        app.MapSyncApi();
        app.MapPemsConnectionApi();
        app.MapExportApi();
        app.MapEventsApi();
        app.MapUsersApi();
        app.MapAuditApi();
        app.MapOrganizationsApi();
        app.MapSsoApi();
        return app;
    }
}
