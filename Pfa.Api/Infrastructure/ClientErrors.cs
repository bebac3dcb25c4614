using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

namespace Pfa.Api.Infrastructure;

/// <summary>
/// Malformed requests (unbindable query/route values, unreadable or mistyped JSON bodies) answer 400 ValidationProblem naming
/// the parameter or JSON path, in every environment: never a 500, never a stack trace.
/// </summary>
public static class ClientErrors
{
    /// <summary>Deep enough for any real request (a draft batch is ~4 levels), shallow enough to refuse nesting attacks early.</summary>
    public const int MaxJsonDepth = 32;

    public static IServiceCollection AddClientErrorHandling(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            // Enums by name only: "1" or 1 for an enum is refused, as the domain's field rules refuse it.
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            o.SerializerOptions.MaxDepth = MaxJsonDepth;
            o.SerializerOptions.Converters.Add(new NoNulStringConverter());
        });
        services.AddTransient<IStartupFilter, NulInUrlFilter>();
        // Bad binding throws in every environment (the default throws in Development only and answers a bare 400 elsewhere),
        // so ClientErrorHandler can name the parameter the same way everywhere.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ClientErrorHandler>();
        return services;
    }
}

/// <summary>Maps <see cref="BadHttpRequestException"/> (binding and JSON failures) to a 400 ValidationProblem.</summary>
public sealed class ClientErrorHandler(IProblemDetailsService problems, ILogger<ClientErrorHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad || http.Response.HasStarted) return false;
        var (key, message) = Describe(bad);
        log.LogInformation("Client error on {Path}: {Key}: {Message}", http.Request.Path, key, message);
        var status = bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : StatusCodes.Status400BadRequest;
        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = null, // never echo the exception (Development would add the stack trace)
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [key] = [message] })
            {
                Status = status,
                Title = "The request is malformed.",
                Detail = $"{key}: {message}",
            },
        });
    }

    /// <summary>The culprit: the JSON path inside the body, or the parameter name from the binder's message.</summary>
    public static (string Key, string Message) Describe(BadHttpRequestException bad)
    {
        var json = FindJsonException(bad);
        var parameter = ParameterName(bad.Message);
        if (json is not null)
        {
            // "$.items[0].changes" → "items[0].changes"; the root itself → the body parameter's name.
            var path = json.Path is { Length: > 1 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..]
                : json.Path is { Length: > 1 } q && q.StartsWith('$') ? q[1..] : null;
            var reason = json.Message.Split(" Path:", 2)[0];
            // The serializer's message may name CLR types; keep only its first sentence, which says what was wrong.
            return (path ?? parameter ?? "body", Shorten(reason));
        }
        return (parameter ?? "body", Shorten(bad.Message));
    }

    private static JsonException? FindJsonException(Exception e)
    {
        for (var x = e.InnerException; x is not null; x = x.InnerException)
            if (x is JsonException j) return j;
        return null;
    }

    // The binder says: Failed to bind parameter "DateOnly from" from "abc". / Required parameter "string q" was not provided ...
    // / Failed to read parameter "BulkRequest request" from the request body as JSON.
    private static string? ParameterName(string message)
    {
        var start = message.IndexOf('"');
        if (start < 0) return null;
        var end = message.IndexOf('"', start + 1);
        if (end < 0) return null;
        var inner = message[(start + 1)..end];
        var space = inner.LastIndexOf(' ');
        var name = space >= 0 ? inner[(space + 1)..] : inner;
        // Query and route names are camelCase ([AsParameters] reports the property name "From" for ?from=).
        return name.Length == 0 ? null : char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static string Shorten(string message) => message.Length > 300 ? message[..300] : message;
}

/// <summary>Refuses a NUL in any JSON string bound to a typed request (PostgreSQL rejects <c>\u0000</c> in text and jsonb).</summary>
public sealed class NoNulStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString();
        // The serializer adds the JSON path to this exception; ClientErrorHandler names it.
        if (value is not null && value.Contains('\0')) throw new JsonException("A NUL character is not allowed.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>A NUL in the path or a query value is refused before routing: 400 naming the query key (or <c>path</c>).</summary>
public sealed class NulInUrlFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (http, nextMiddleware) =>
        {
            var culprit = http.Request.Path.Value?.Contains('\0') == true ? "path"
                : http.Request.Query.FirstOrDefault(q => q.Key.Contains('\0') || q.Value.Any(v => v?.Contains('\0') == true)).Key;
            if (culprit is null) { await nextMiddleware(http); return; }
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            var key = culprit.Replace("\0", "");
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [key] = ["A NUL character is not allowed."] })
                {
                    Status = StatusCodes.Status400BadRequest, Title = "The request is malformed.", Detail = $"{key}: a NUL character is not allowed.",
                },
            });
        });
        next(app);
    };
}
