using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

public sealed class JwtSettings
{
    public string Issuer { get; set; } = "pfa-vanguard";
    public string Audience { get; set; } = "pfa-vanguard-api";
    /// <summary>HMAC key, at least 32 bytes. Development has one in appsettings.Development.json; elsewhere it must be configured.</summary>
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
            [new Claim(JwtRegisteredClaimNames.Sub, user.Id.ToString()), new Claim(JwtRegisteredClaimNames.UniqueName, user.Username)],
            now.UtcDateTime, expires.UtcDateTime,
            new SigningCredentials(settings.SigningKey(), SecurityAlgorithms.HmacSha256));
        return (new JwtSecurityTokenHandler().WriteToken(token), expires);
    }
}

/// <summary>PBKDF2 hashes from ASP.NET Core Identity's hasher (salted, versioned, rehash-aware).</summary>
public static class Passwords
{
    private static readonly PasswordHasher<AppUser> Hasher = new();
    public static string Hash(string password) => Hasher.HashPassword(null!, password);
    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(null!, hash, password) != PasswordVerificationResult.Failed;
}

public static class ClaimsExtensions
{
    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id) ? id : null;
    public static string? UserName(this ClaimsPrincipal principal) => principal.FindFirstValue(JwtRegisteredClaimNames.UniqueName);
}
