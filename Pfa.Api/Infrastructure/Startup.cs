using Microsoft.EntityFrameworkCore;
using Npgsql;
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

    /// <summary>
    /// The first administrator of an empty database, in any environment: <c>Bootstrap:AdminUsername</c> (default
    /// <c>admin</c>), <c>Bootstrap:AdminEmail</c> (optional) and the secret <c>Bootstrap:AdminPassword</c> (the AppHost's
    /// generated <c>admin-password</c> parameter). System admin, password change forced at first sign-in. Does nothing
    /// once any user exists (so Development's demo users, seeded first, win), and two replicas racing insert one row.
    /// </summary>
    public static async Task BootstrapAdminAsync(IServiceProvider services)
    {
        var config = services.GetRequiredService<IConfiguration>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Pfa.Bootstrap");
        var password = config["Bootstrap:AdminPassword"];
        var username = (config["Bootstrap:AdminUsername"] is { Length: > 0 } u ? u : "admin").Trim().ToLowerInvariant();
        var email = config["Bootstrap:AdminEmail"] is { Length: > 0 } e ? e.Trim() : null;
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        try
        {
            await using (var any = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM users)"))
                if ((bool)(await any.ExecuteScalarAsync())!) return;
            if (string.IsNullOrEmpty(password))
            {
                logger.LogWarning("No user exists and Bootstrap:AdminPassword is not set: nobody can sign in");
                return;
            }
            var id = Guid.NewGuid();
            await using var cmd = dataSource.CreateCommand("""
                INSERT INTO users (id, username, display_name, email, password_hash, is_active, created_at, security_stamp, must_change_password, is_system_admin)
                SELECT $1, $2, 'Administrator', $3, $4, true, now(), gen_random_uuid(), true, true
                WHERE NOT EXISTS (SELECT 1 FROM users)
                ON CONFLICT DO NOTHING
                """);
            cmd.Parameters.AddWithValue(id);
            cmd.Parameters.AddWithValue(username);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)email ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.AddWithValue(Passwords.Hash(password));
            if (await cmd.ExecuteNonQueryAsync() == 1)
            {
                await services.GetRequiredService<AuditTrail>().RecordAsync(new AuditEntry(AuditActions.UserCreate, UserId: null, ActorName: "bootstrap",
                    Entity: "user", EntityId: id.ToString(), Details: new { username, systemAdmin = true }));
                logger.LogInformation("Created the first administrator {Username}; the password must be changed at first sign-in", username);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            logger.LogWarning("The schema is not migrated yet: the first administrator is created at the next start after migration");
        }
    }

    /// <summary>Development only: demo organizations and one user per role, with a password from configuration (no forced change).</summary>
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
            var user = new AppUser { Id = Guid.NewGuid(), Username = name, DisplayName = $"Demo {role}", PasswordHash = Passwords.Hash(password),
                CreatedAt = DateTimeOffset.UtcNow, IsSystemAdmin = role == OrgRole.Admin };
            db.Users.Add(user);
            db.Memberships.Add(new Membership { UserId = user.Id, OrganizationId = rio.Id, Role = role });
            if (role == OrgRole.Admin && pa.Id != rio.Id) db.Memberships.Add(new Membership { UserId = user.Id, OrganizationId = pa.Id, Role = role });
        }
        await db.SaveChangesAsync();
        logger.LogInformation("Seeded demo users");
    }
}
