namespace Pfa.Api.Infrastructure;

/// <summary>Headers every API response carries, errors and the OpenAPI/Scalar pages included.</summary>
public static class SecurityHeaders
{
    /// <summary>First in the pipeline and set when the response starts, so exception, status-code and rate-limit answers get them too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            // Browsers must not guess a JSON/CSV answer to be HTML or script.
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        });
        return next(http);
    });
}
