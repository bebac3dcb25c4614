using System.Security.Cryptography;
using Pfa.Web.Auth;

namespace Pfa.Web;

/// <summary>
/// Content security policy, frame and referrer protection for every response of the web app. The only inline script is
/// Blazor's import map, which carries this request's nonce (<see cref="Nonce"/>, App.razor); MudBlazor sets inline styles,
/// hence <c>style-src 'unsafe-inline'</c> (styles cannot run code). The circuit's WebSocket is same-origin.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "pfa:csp-nonce";

    /// <summary>This request's script nonce (for the inline import map).</summary>
    public static string Nonce(this HttpContext http) => http.Items[NonceKey] as string ?? "";

    public static IApplicationBuilder UseSecurityHeaders(this WebApplication app)
    {
        // The SSO sign-in ends in a redirect to the issuer, which form-action governs for the form that started it.
        var oidc = app.Services.GetRequiredService<OidcWebSettings>();
        var issuer = oidc.IsConfigured && Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority)
            ? " " + authority.GetLeftPart(UriPartial.Authority) : "";
        return app.Use((http, next) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            http.Items[NonceKey] = nonce;
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = Policy(nonce, issuer, http.Request);
                headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                return Task.CompletedTask;
            });
            return next(http);
        });
    }

    public static string Policy(string nonce, string issuerOrigin, HttpRequest request)
    {
        // 'self' covers ws/wss of the same host in CSP3 browsers; named anyway for older ones.
        var socket = (request.IsHttps ? "wss://" : "ws://") + request.Host.Value;
        return "default-src 'self'; " +
               $"script-src 'self' 'nonce-{nonce}'; " +
               "style-src 'self' 'unsafe-inline'; " +
               "img-src 'self' data:; " +
               "font-src 'self' data:; " +
               $"connect-src 'self' {socket}; " +
               "object-src 'none'; " +
               "frame-ancestors 'none'; " +
               "base-uri 'self'; " +
               $"form-action 'self'{issuerOrigin}";
    }
}
