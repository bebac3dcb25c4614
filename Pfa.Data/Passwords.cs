using Microsoft.AspNetCore.Identity;

namespace Pfa.Data;

/// <summary>PBKDF2 hashes from ASP.NET Core Identity's hasher (salted, versioned, rehash-aware).</summary>
public static class Passwords
{
    private static readonly PasswordHasher<AppUser> Hasher = new();
    public static string Hash(string password) => Hasher.HashPassword(null!, password);
    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(null!, hash, password) != PasswordVerificationResult.Failed;
}
