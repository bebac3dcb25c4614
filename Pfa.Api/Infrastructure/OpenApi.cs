using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Pfa.Api.Infrastructure;

/// <summary>Declares the bearer scheme so the API page can send a token, and requires it on every route but login.</summary>
public sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT", Description = "Token from POST /api/auth/login",
        };
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] };
        foreach (var (path, item) in document.Paths)
        {
            if (path == "/api/auth/login" || item.Operations is null) continue;
            foreach (var op in item.Operations.Values)
            {
                op.Security ??= [];
                op.Security.Add(requirement);
            }
        }
        return Task.CompletedTask;
    }
}

public static class OpenApiConventions
{
    /// <summary>Every organization route can answer 401/403/404 (and 429) with ProblemDetails.</summary>
    public static RouteGroupBuilder WithStandardProblems(this RouteGroupBuilder group) => group
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);
}
