using System.ComponentModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pfa.Api.Infrastructure;
using Pfa.Data;

namespace Pfa.Api.Apis;

public sealed record LoginRequest([property: Description("User name")] string Username, string Password);
public sealed record LoginResponse(string AccessToken, string TokenType, DateTimeOffset ExpiresAt);
public sealed record MembershipDto(string Code, string Name, OrgRole Role, bool CanEdit, bool CanCommit);
public sealed record MeResponse(Guid Id, string Username, string DisplayName, string? Email, IReadOnlyList<MembershipDto> Organizations,
    bool CanViewPortfolio);

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Auth")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapPost("/auth/login", Login).AllowAnonymous()
            .WithSummary("Exchange user name and password for a bearer token.");
        group.MapGet("/me", Me).RequireAuthorization()
            .WithSummary("The signed-in user with organizations and roles.");
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> Login(
        LoginRequest request, PfaDbContext db, TokenService tokens, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Username)) errors["username"] = ["Required."];
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = ["Required."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Username == request.Username.Trim().ToLowerInvariant(), ct);
        // One answer for unknown user and wrong password.
        if (user is null || !user.IsActive || !Passwords.Verify(user.PasswordHash, request.Password))
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid user name or password.");
        var (token, expires) = tokens.Issue(user);
        return TypedResults.Ok(new LoginResponse(token, "Bearer", expires));
    }

    public static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Me(ClaimsPrincipal principal, PfaDbContext db, CancellationToken ct)
    {
        var id = principal.UserId();
        var user = id is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null) return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unknown user.");
        var orgs = await db.Memberships.AsNoTracking().Where(m => m.UserId == user.Id)
            .Join(db.Organizations, m => m.OrganizationId, o => o.Id, (m, o) => new { o.Code, o.Name, m.Role })
            .OrderBy(x => x.Code).ToListAsync(ct);
        return TypedResults.Ok(new MeResponse(user.Id, user.Username, user.DisplayName, user.Email,
            orgs.Select(o => new MembershipDto(o.Code, o.Name, o.Role,
                o.Role.CanEdit(), o.Role.CanCommit())).ToList(),
            orgs.Any(o => o.Role.CanViewAllOrganizations())));
    }
}
