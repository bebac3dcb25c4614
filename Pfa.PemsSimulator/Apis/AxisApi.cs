using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.PemsSimulator;

/// <summary>The HxGN EAM REST surface the real PEMS offers: grid data (CUPFAG), screen services (CUPFA2), organizations.</summary>
public static class AxisApi
{
    public const string BasePath = "/axis";

    public static IEndpointRouteBuilder MapAxisApi(this IEndpointRouteBuilder app)
    {
        var axis = app.MapGroup($"{BasePath}/restservices");
        axis.AddEndpointFilter(AuthorizeAsync);
        axis.MapGet("/organization", GetOrganizations);
        axis.MapPost("/griddata", GetGridDataAsync);
        axis.MapPost("/userdefinedscreenservices", HandleScreenServiceAsync);
        return app;
    }

    /// <summary>Basic auth, then the tenant and organization headers, as EAM checks them (errors in its envelope).</summary>
    private static async ValueTask<object?> AuthorizeAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
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
    }

    private static IResult GetOrganizations(PemsStore store) => Results.Json(new PemsEnvelope<OrganizationResultData>
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
    });

    private static async Task<IResult> GetGridDataAsync(HttpContext http, PemsStore store, IOptions<SimulatorOptions> options)
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
    }

    private static async Task<IResult> HandleScreenServiceAsync(HttpContext http, UdsHandler handler)
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
    }

    private static bool Authorized(HttpRequest request, SimulatorOptions options, out string user)
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
}
