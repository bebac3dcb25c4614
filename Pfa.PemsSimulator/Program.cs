using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;
using Pfa.PemsSimulator;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.Configure<SimulatorOptions>(builder.Configuration.GetSection(SimulatorOptions.SectionName));
builder.Services.PostConfigure<SimulatorOptions>(o =>
{
    if (o.Organizations.Count == 0) o.Organizations = [.. SimulatorOptions.DefaultOrganizations];
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<PemsStore>();
builder.Services.AddSingleton<FaultInjector>();
builder.Services.AddSingleton<UdsHandler>();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text("PEMS simulator (HxGN EAM wire format). See docs/pems.md."));

// Faults, then auth, for the PEMS surface only; /health and /admin stay reliable.
var axis = app.MapGroup("/axis/restservices");
axis.AddEndpointFilter(async (ctx, next) =>
{
    var http = ctx.HttpContext;
    var options = http.RequestServices.GetRequiredService<IOptions<SimulatorOptions>>().Value;
    var store = http.RequestServices.GetRequiredService<PemsStore>();
    if (!Authorized(http.Request, options, out var user))
        return Results.Json(GridEngine.Error("Authorization failed: invalid user name or password."), statusCode: 401);
    if (!string.Equals(http.Request.Headers["tenant"].FirstOrDefault(), options.Tenant, StringComparison.OrdinalIgnoreCase))
        return Results.Json(GridEngine.Error("Authorization failed: the tenant header is missing or not valid."), statusCode: 401);
    var org = http.Request.Headers["organization"].FirstOrDefault();
    if (string.IsNullOrWhiteSpace(org))
        return Results.Json(GridEngine.Error("The organization header is required."), statusCode: 400);
    if (!store.IsKnownOrganization(org) && !string.Equals(org, options.CorporateOrganization, StringComparison.OrdinalIgnoreCase))
        return Results.Json(GridEngine.Error($"Organization {org} is not valid for user {user}."), statusCode: 401);
    http.Items["pems.user"] = user;
    return await next(ctx);
});

app.Use(async (context, next) =>
{
    if (context.Request.Path.StartsWithSegments("/axis"))
        await context.RequestServices.GetRequiredService<FaultInjector>().InvokeAsync(context, _ => next(context));
    else
        await next(context);
});

axis.MapGet("/organization", (PemsStore store) => Results.Json(new PemsEnvelope<OrganizationResultData>
{
    Result = new PemsResult<OrganizationResultData>
    {
        ResultData = new OrganizationResultData
        {
            DataRecord = store.Organizations.Select(o => new OrganizationRecord
            {
                OrganizationId = new OrganizationId { OrganizationCode = o, Description = $"{o} PROJECT" },
            }).ToList(),
        },
    },
}));

axis.MapPost("/griddata", async (HttpContext http, PemsStore store, IOptions<SimulatorOptions> options) =>
{
    GridRequest? request;
    try
    {
        request = await JsonSerializer.DeserializeAsync<GridRequest>(http.Request.Body, cancellationToken: http.RequestAborted);
    }
    catch (JsonException ex)
    {
        return Results.Json(GridEngine.Error($"The request body is not valid: {ex.Message}"), statusCode: 400);
    }
    if (request is null) return Results.Json(GridEngine.Error("The request body is empty."), statusCode: 400);
    if (!string.Equals(request.Grid.GridName, CupfagGrid.Name, StringComparison.OrdinalIgnoreCase)
        && request.Grid.GridId != CupfagGrid.Id)
        return Results.Json(GridEngine.Error($"Grid {request.Grid.GridName} ({request.Grid.GridId}) does not exist."));

    Func<IReadOnlyDictionary<string, string?>, bool> filter;
    try
    {
        filter = GridEngine.BuildFilter(request);
    }
    catch (ArgumentException ex)
    {
        return Results.Json(GridEngine.Error(ex.Message));
    }

    var rows = GridEngine.Sort(store.Snapshot(null).Where(filter), request.AddonSort);
    var type = request.RequestType.ToUpperInvariant();
    var cursor = Math.Max(0, request.Grid.CursorPosition ?? request.RowOffset ?? 0);
    var size = Math.Clamp(request.Grid.NumberOfRowsFirstReturned, 1, options.Value.MaxPageSize);
    var includeRows = !type.StartsWith("LIST.COUNT", StringComparison.Ordinal) && !type.StartsWith("LIST.HEAD_ONLY", StringComparison.Ordinal);
    var page = includeRows ? rows.Skip(cursor).Take(size).ToList() : [];

    http.Response.ContentType = "application/json";
    await GridEngine.WriteAsync(http.Response.Body, request, page, cursor, rows.Count,
        includeFields: !type.StartsWith("LIST.COUNT", StringComparison.Ordinal), includeRows, http.RequestAborted);
    return Results.Empty;
});

axis.MapPost("/userdefinedscreenservices", async (HttpContext http, UdsHandler handler) =>
{
    UdsRequest? request;
    try
    {
        request = await JsonSerializer.DeserializeAsync<UdsRequest>(http.Request.Body, cancellationToken: http.RequestAborted);
    }
    catch (JsonException ex)
    {
        return Results.Json(GridEngine.Error($"The request body is not valid: {ex.Message}"), statusCode: 400);
    }
    if (request is null) return Results.Json(GridEngine.Error("The request body is empty."), statusCode: 400);
    var org = http.Request.Headers["organization"].FirstOrDefault() ?? "";
    return Results.Json(handler.Handle(request, org, (string)http.Items["pems.user"]!));
});

if (app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value.EnableAdmin)
{
    var admin = app.MapGroup("/admin");
    admin.MapGet("/stats", (PemsStore store, FaultInjector faults) =>
        Results.Json(new { organizations = store.Counts(), faults = faults.Options, queuedFaults = faults.Queued, journal = store.JournalPath }));
    admin.MapPost("/mutate", (PemsStore store, string? organization, int count, int? seed) =>
        Results.Json(store.MutateRandom(organization, count, seed ?? Environment.TickCount)
            .Select(p => new { organization = p.Organization, pfaId = p.PfaId })));
    admin.MapPost("/delete", (PemsStore store, string? organization, int count, int? seed) =>
        Results.Json(store.DeleteRandom(organization, count, seed ?? Environment.TickCount)
            .Select(p => new { organization = p.Organization, pfaId = p.PfaId })));
    admin.MapGet("/faults", (FaultInjector faults) => Results.Json(faults.Options));
    admin.MapPut("/faults", (FaultInjector faults, FaultOptions options) =>
    {
        faults.Replace(options);
        return Results.Json(faults.Options);
    });
    admin.MapPost("/faults/queue", (FaultInjector faults, string[] queue) =>
    {
        faults.Enqueue(queue);
        return Results.Json(new { queued = faults.Queued });
    });
    admin.MapDelete("/faults/queue", (FaultInjector faults) =>
    {
        faults.ClearQueue();
        return Results.NoContent();
    });
}

app.Run();

static bool Authorized(HttpRequest request, SimulatorOptions options, out string user)
{
    user = "";
    if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var auth)
        || !string.Equals(auth.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || auth.Parameter is null)
        return false;
    string decoded;
    try
    {
        decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter));
    }
    catch (FormatException)
    {
        return false;
    }
    var colon = decoded.IndexOf(':');
    if (colon < 0) return false;
    user = decoded[..colon];
    return string.Equals(user, options.UserName, StringComparison.OrdinalIgnoreCase)
        && decoded[(colon + 1)..] == options.Password;
}
