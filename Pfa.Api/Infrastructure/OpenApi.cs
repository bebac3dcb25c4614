using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Pfa.Domain;

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

/// <summary>
/// Documents a <see cref="MaskedRecord"/> as the record it writes (its converter hides the shape from the schema generator),
/// with the money fields nullable: null is how a caller without ViewFinancials sees them.
/// </summary>
public sealed class MaskedRecordSchemaTransformer : IOpenApiSchemaTransformer
{
    public async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type != typeof(MaskedRecord)) return;
        var record = await context.GetOrCreateSchemaAsync(typeof(PfaRecord), null, cancellationToken);
        schema.Type = JsonSchemaType.Object;
        schema.Required = record.Required;
        schema.Properties = new Dictionary<string, IOpenApiSchema>();
        foreach (var (name, property) in record.Properties ?? new Dictionary<string, IOpenApiSchema>())
            schema.Properties[name] = FinancialMask.IsFinancial(name)
                ? new OpenApiSchema { Type = JsonSchemaType.Number | JsonSchemaType.Null, Description = "Null for a caller without ViewFinancials." }
                : property;
    }
}
