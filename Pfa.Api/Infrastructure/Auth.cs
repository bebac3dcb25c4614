using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

public sealed class JwtSettings
{
    public string Issuer { get; set; } = "pfa-vanguard";
    public string Audience { get; set; } = "pfa-vanguard-api";
    /// <summary>HMAC key, at least 32 bytes: the AppHost's generated <c>jwt-key</c> parameter (Jwt__Key); never committed.</summary>
    public string Key { get; set; } = "";
    public int LifetimeMinutes { get; set; } = 60;

    public SymmetricSecurityKey SigningKey()
    {
        if (Encoding.UTF8.GetByteCount(Key) < 32)
            throw new InvalidOperationException("Jwt:Key must be configured with at least 32 bytes.");
        return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Key));
    }
}

public sealed class TokenService(JwtSettings settings, TimeProvider time)
{
    public (string Token, DateTimeOffset ExpiresAt) Issue(AppUser user)
    {
        var now = time.GetUtcNow();
        var expires = now.AddMinutes(settings.LifetimeMinutes);
        var token = new JwtSecurityToken(
            settings.Issuer, settings.Audience,
            [new Claim(JwtRegisteredClaimNames.Sub, user.Id.ToString()), new Claim(JwtRegisteredClaimNames.UniqueName, user.Username),
             new Claim(SessionValidation.StampClaim, user.SecurityStamp.ToString())],
            now.UtcDateTime, expires.UtcDateTime,
            new SigningCredentials(settings.SigningKey(), SecurityAlgorithms.HmacSha256));
        return (new JwtSecurityTokenHandler().WriteToken(token), expires);
    }
}

public static class ClaimsExtensions
{
    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id) ? id : null;
    public static string? UserName(this ClaimsPrincipal principal) => principal.FindFirstValue(JwtRegisteredClaimNames.UniqueName);
}

public static class HttpContextExtensions
{
    /// <summary>The caller's address for the audit trail (the forwarded-headers middleware, when configured, has already applied).</summary>
    public static string? ClientIp(this HttpContext http) => http.Connection.RemoteIpAddress?.ToString();
}
