using Microsoft.AspNetCore.Http;

namespace Pfa.Web.Api;

/// <summary>
/// Tells the API which browser a request is for (<c>X-Forwarded-For</c>): sign-ins go through this server, so without it the
/// API's per-address limits (failed sign-ins, anonymous rate limit) would count every web user as one address. The API trusts
/// the header only from known proxies (loopback by default). Inside a circuit there is no request: nothing is added.
/// </summary>
public sealed class ForwardedClientHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext?.Connection.RemoteIpAddress is { } ip)
        {
            request.Headers.Remove("X-Forwarded-For");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", ip.ToString());
        }
        return base.SendAsync(request, cancellationToken);
    }
}
