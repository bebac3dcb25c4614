using Microsoft.AspNetCore.Identity;

namespace Pfa.Data;

/// <summary>
/// PBKDF2 hashes from ASP.NET Core Identity's hasher (salted, versioned, rehash-aware). Hashes carried over from the old
/// system (bcrypt <c>$2a$</c>/<c>$2b$</c>/<c>$2y$</c>, legacy import) verify too; <see cref="NeedsRehash"/> then tells the sign-in
/// to replace them with ours.
/// </summary>
public static class Passwords
{
    private static readonly PasswordHasher<AppUser> Hasher = new();
    public static string Hash(string password) => Hasher.HashPassword(null!, password);

    public static bool Verify(string hash, string password)
    {
        if (IsLegacyBcrypt(hash))
        {
            try { return BCrypt.Net.BCrypt.Verify(password, hash); }
            catch (BCrypt.Net.SaltParseException) { return false; }
        }
        return Hasher.VerifyHashedPassword(null!, hash, password) != PasswordVerificationResult.Failed;
    }

    /// <summary>A bcrypt hash from the old system (modular-crypt form, 60 characters).</summary>
    public static bool IsLegacyBcrypt(string? hash) =>
        hash is { Length: 60 } && (hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal) || hash.StartsWith("$2y$", StringComparison.Ordinal));

    /// <summary>True for a legacy hash: after a verified sign-in it is replaced by <see cref="Hash"/> of the same password.</summary>
    public static bool NeedsRehash(string hash) => IsLegacyBcrypt(hash);
}
