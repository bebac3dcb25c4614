using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Pfa.Api.Apis;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

public sealed record SsoMapResult(AppUser? User, string? Refusal);

/// <summary>
/// Maps an external issuer's principal to our user: by a linked external login (issuer + subject) first, else by a verified
/// e-mail address (case-insensitive), else — when an organization allows the address's domain — a new account with that
/// organization's role. Deactivated users are refused. The link is stored on first use, so a changed address later
/// still finds the same user.
/// </summary>
public sealed class SsoUserMapper(PfaDbContext db, OidcSettings settings, AuditTrail audit, TimeProvider time, ILogger<SsoUserMapper> logger)
{
    public const string NoAccount = "No account: ask an administrator to create one, or to allow your e-mail domain.";

    public async Task<SsoMapResult> MapAsync(ClaimsPrincipal external, CancellationToken ct)
    {
        var issuer = external.FindFirstValue("iss");
        var subject = external.FindFirstValue("sub");
        if (string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(subject)) return new(null, "The token names no issuer or subject.");
        try { return await MapOnceAsync(external, issuer, subject, ct); }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A parallel first sign-in of the same person linked or created the account: the second look finds it.
            db.ChangeTracker.Clear();
            return await MapOnceAsync(external, issuer, subject, ct);
        }
    }

    private async Task<SsoMapResult> MapOnceAsync(ClaimsPrincipal external, string issuer, string subject, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var login = await db.ExternalLogins.SingleOrDefaultAsync(l => l.Issuer == issuer && l.Subject == subject, ct);
        if (login is not null)
        {
            var linked = await db.Users.AsNoTracking().SingleAsync(u => u.Id == login.UserId, ct);
            if (!linked.IsActive) return new(null, "This account is deactivated.");
            // Every API call carries the token: note the sign-in at most every few minutes, not per request.
            if (now - login.LastSignInAt > TimeSpan.FromMinutes(5))
            {
                login.LastSignInAt = now;
                await db.SaveChangesAsync(ct);
            }
            return new(linked, null);
        }

        var email = VerifiedEmail(external);
        if (email is null) return new(null, NoAccount + " (the issuer gave no verified e-mail address)");
        var matches = await db.Users.Where(u => u.Email != null && u.Email.ToLower() == email).Take(2).ToListAsync(ct);
        if (matches.Count > 1) return new(null, "More than one account has this e-mail address: ask an administrator.");
        var user = matches.SingleOrDefault();
        if (user is not null && !user.IsActive) return new(null, "This account is deactivated.");
        if (user is null)
        {
            user = await ProvisionAsync(external, email, ct);
            if (user is null) return new(null, NoAccount);
        }
        db.ExternalLogins.Add(new ExternalLogin { Issuer = issuer, Subject = subject, UserId = user.Id, Email = email, CreatedAt = now, LastSignInAt = now });
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Linked external login of {Issuer} to user {UserId}", issuer, user.Id);
        return new(user, null);
    }

    /// <summary>A new account in every organization that allows the address's domain, with that organization's role; null when none does.</summary>
    private async Task<AppUser?> ProvisionAsync(ClaimsPrincipal external, string email, CancellationToken ct)
    {
        var domain = EmailDomains.Of(email);
        if (domain is null) return null;
        var orgs = await db.Organizations
            .Where(o => o.IsActive && o.SsoAutoProvisionRole != null && o.SsoEmailDomains != null && o.SsoEmailDomains.Contains(domain))
            .ToListAsync(ct);
        if (orgs.Count == 0) return null;

        var username = email;
        if (await db.Users.AnyAsync(u => u.Username == username, ct)) username = $"{email}#{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
        var user = new AppUser
        {
            Id = Guid.NewGuid(), Username = username, Email = email, CreatedAt = time.GetUtcNow(),
            DisplayName = external.FindFirstValue("name") is { Length: > 0 } name ? name : email,
            // SSO-only: a random password nobody knows, so local sign-in is impossible until an admin sets one.
            PasswordHash = Passwords.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
        };
        db.Users.Add(user);
        foreach (var org in orgs) db.Memberships.Add(new Membership { UserId = user.Id, OrganizationId = org.Id, Role = org.SsoAutoProvisionRole!.Value });
        await db.SaveChangesAsync(ct);
        foreach (var org in orgs)
            await audit.RecordAsync(new AuditEntry(AuditActions.UserProvisioned, UserId: user.Id, ActorName: user.Username, OrganizationId: org.Id,
                Entity: "user", EntityId: user.Id.ToString(),
                Details: new { user.Username, Role = org.SsoAutoProvisionRole!.Value.ToString(), Issuer = external.FindFirstValue("iss") }), ct);
        logger.LogInformation("Provisioned user {UserId} from SSO into {Count} organization(s)", user.Id, orgs.Count);
        return user;
    }

    private string? VerifiedEmail(ClaimsPrincipal external)
    {
        var email = external.FindFirstValue("email");
        if (string.IsNullOrWhiteSpace(email) || EmailDomains.Of(email) is null) return null;
        var verified = string.Equals(external.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase);
        return verified || settings.TrustEmail ? email.Trim().ToLowerInvariant() : null;
    }

    /// <summary>The principal the rest of the API knows: our user id as <c>sub</c>, as in our own tokens.</summary>
    public static ClaimsPrincipal LocalPrincipal(AppUser user, string scheme) => new(new ClaimsIdentity(
    [
        new Claim(JwtRegisteredClaimNames.Sub, user.Id.ToString()),
        new Claim(JwtRegisteredClaimNames.UniqueName, user.Username),
        new Claim("amr", "external"),
    ], scheme, JwtRegisteredClaimNames.UniqueName, "role"));

    /// <summary>
    /// Validates an id_token (or access token) of the external issuer as the external bearer scheme would: its signing keys,
    /// issuer, audience (the client id or the API audience) and lifetime. Null when invalid.
    /// </summary>
    public static async Task<ClaimsPrincipal?> ValidateExternalTokenAsync(IOptionsMonitor<JwtBearerOptions> options, string token, CancellationToken ct)
    {
        var o = options.Get(Sso.ExternalScheme);
        if (o.ConfigurationManager is null) return null;
        var config = await o.ConfigurationManager.GetConfigurationAsync(ct);
        var parameters = o.TokenValidationParameters.Clone();
        parameters.ValidIssuer = config.Issuer;
        parameters.IssuerSigningKeys = config.SigningKeys;
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }
}
