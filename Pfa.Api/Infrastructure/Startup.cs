using Microsoft.EntityFrameworkCore;
using Pfa.Data;

namespace Pfa.Api.Infrastructure;

public static class Startup
{
    public static async Task MigrateAsync(IServiceProvider services, bool seedDemo)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PfaDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Pfa.Migrations");
        await db.MigrateSeriallyAsync();
        logger.LogInformation("Database migrated");
        if (seedDemo) await SeedDemoAsync(db, scope.ServiceProvider.GetRequiredService<IConfiguration>(), logger);
    }

    /// <summary>Development only: demo organizations and one user per role, with a password from configuration.</summary>
    private static async Task SeedDemoAsync(PfaDbContext db, IConfiguration config, ILogger logger)
    {
        if (await db.Users.AnyAsync()) return;
        var password = config["Seed:DemoPassword"];
        if (string.IsNullOrEmpty(password)) return;
        var rio = new Organization { Id = Guid.NewGuid(), Code = "RIO", Name = "Rio Grande" };
        var pa = new Organization { Id = Guid.NewGuid(), Code = "PORTARTHUR", Name = "Port Arthur" };
        if (!await db.Organizations.AnyAsync()) db.Organizations.AddRange(rio, pa);
        else { rio = await db.Organizations.FirstAsync(); pa = rio; }
        (string Name, OrgRole Role)[] demo = [("admin", OrgRole.Admin), ("pm", OrgRole.PortfolioManager), ("editor", OrgRole.Editor), ("viewer", OrgRole.Viewer), ("beo", OrgRole.BeoAnalyst)];
        foreach (var (name, role) in demo)
        {
            var user = new AppUser { Id = Guid.NewGuid(), Username = name, DisplayName = $"Demo {role}", PasswordHash = Passwords.Hash(password), CreatedAt = DateTimeOffset.UtcNow };
            db.Users.Add(user);
            db.Memberships.Add(new Membership { UserId = user.Id, OrganizationId = rio.Id, Role = role });
            if (role == OrgRole.Admin && pa.Id != rio.Id) db.Memberships.Add(new Membership { UserId = user.Id, OrganizationId = pa.Id, Role = role });
        }
        await db.SaveChangesAsync();
        logger.LogInformation("Seeded demo users");
    }
}
