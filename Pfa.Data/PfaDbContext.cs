using System.Text;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Pfa.Data;

public sealed class PfaDbContext(DbContextOptions<PfaDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<AppUser> Users => Set<AppUser>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<PfaMirror> Mirror => Set<PfaMirror>();
    public DbSet<PfaMirrorHistory> MirrorHistory => Set<PfaMirrorHistory>();
    public DbSet<PfaModification> Modifications => Set<PfaModification>();
    public DbSet<PfaOutbox> Outbox => Set<PfaOutbox>();
    public DbSet<SyncLog> SyncLogs => Set<SyncLog>();
    public DbSet<AuditLog> AuditLogs => Set<AuditLog>();
    public DbSet<PemsConnection> PemsConnections => Set<PemsConnection>();
    /// <summary>The Data Protection key ring shared by the API and the worker (see PfaDataProtection).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<ExternalLogin> ExternalLogins => Set<ExternalLogin>();
    public DbSet<DraftJournalEntry> DraftJournal => Set<DraftJournalEntry>();
    public DbSet<DraftJournalLine> DraftJournalLines => Set<DraftJournalLine>();

    /// <summary>Typed columns generated from <c>pfa_mirror.data</c>: name → SQL expression (immutable helpers from the migration).</summary>
    public static readonly IReadOnlyList<(string Column, string Type, string Sql)> MirrorGeneratedColumns =
    [
        ("description", "text", "data->>'description'"),
        ("area_silo", "text", "data->>'areaSilo'"),
        ("class", "text", "data->>'class'"),
        ("category", "text", "data->>'category'"),
        ("source", "text", "data->>'source'"),
        ("dor", "text", "data->>'dor'"),
        ("manufacturer", "text", "data->>'manufacturer'"),
        ("model", "text", "data->>'model'"),
        ("is_actualized", "boolean", "coalesce((data->>'isActualized')::boolean, false)"),
        ("is_discontinued", "boolean", "coalesce((data->>'isDiscontinued')::boolean, false)"),
        ("is_funds_transferable", "boolean", "coalesce((data->>'isFundsTransferable')::boolean, false)"),
        ("has_actuals", "boolean", "coalesce((data->>'hasActuals')::boolean, false)"),
        ("monthly_rate", "numeric", "coalesce((data->>'monthlyRate')::numeric, 0)"),
        ("purchase_price", "numeric", "coalesce((data->>'purchasePrice')::numeric, 0)"),
        ("original_start", "date", "pfa_to_date(data->>'originalStart')"),
        ("original_end", "date", "pfa_to_date(data->>'originalEnd')"),
        ("forecast_start", "date", "pfa_to_date(data->>'forecastStart')"),
        ("forecast_end", "date", "pfa_to_date(data->>'forecastEnd')"),
        ("actual_start", "date", "pfa_to_date(data->>'actualStart')"),
        ("actual_end", "date", "pfa_to_date(data->>'actualEnd')"),
        ("search_text", "text", "lower(pfa_id || ' ' || coalesce(data->>'description', '') || ' ' || coalesce(data->>'manufacturer', '') || ' ' || coalesce(data->>'model', ''))"),
    ];

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.HasIndex(x => x.Code).IsUnique();
            e.Property(x => x.SsoAutoProvisionRole).HasConversion<string>();
        });
        b.Entity<ExternalLogin>(e =>
        {
            e.ToTable("external_logins");
            e.HasKey(x => new { x.Issuer, x.Subject });
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.UserId);
        });
        b.Entity<AppUser>(e =>
        {
            e.ToTable("users");
            e.HasIndex(x => x.Username).IsUnique();
            e.Property(x => x.SecurityStamp).HasDefaultValueSql("gen_random_uuid()");
            // Unique lower(email) is an expression index in the migration (EF models no expression indexes).
        });
        b.Entity<Membership>(e =>
        {
            e.ToTable("memberships", t => t.HasCheckConstraint("ck_memberships_role",
                "role IN ('Viewer','Editor','PortfolioManager','BeoAnalyst','Admin')"));
            e.HasKey(x => new { x.UserId, x.OrganizationId });
            e.Property(x => x.Role).HasConversion<string>();
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.OrganizationId);
        });
        b.Entity<PfaMirror>(e =>
        {
            e.ToTable("pfa_mirror");
            e.Property(x => x.Data).HasColumnType("jsonb");
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => new { x.OrganizationId, x.PfaId }).IsUnique();
            foreach (var (column, type, sql) in MirrorGeneratedColumns)
            {
                // Shadow properties: EF knows the columns (for the migration), the app reads them through SQL.
                var clr = type switch { "boolean" => typeof(bool), "date" => typeof(DateOnly?), "numeric" => typeof(decimal), _ => typeof(string) };
                e.Property(clr, ToPascal(column)).HasColumnName(column).HasColumnType(type).HasComputedColumnSql(sql, stored: true);
            }
        });
        b.Entity<PfaMirrorHistory>(e =>
        {
            e.ToTable("pfa_mirror_history");
            e.Property(x => x.Data).HasColumnType("jsonb");
            e.HasIndex(x => new { x.MirrorId, x.MirrorVersion }).IsUnique();
            e.HasOne<PfaMirror>().WithMany().HasForeignKey(x => x.MirrorId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<PfaModification>(e =>
        {
            e.ToTable("pfa_modification", t => t.HasCheckConstraint("ck_pfa_modification_state",
                "state IN ('draft','committed','queued','syncing','synced','conflict','failed')"));
            e.Property(x => x.Changes).HasColumnType("jsonb");
            e.Property(x => x.BaseValues).HasColumnType("jsonb");
            e.HasOne<PfaMirror>().WithMany().HasForeignKey(x => x.MirrorId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            // The rule that kills duplicate merge rows: one open delta per user per record.
            e.HasIndex(x => new { x.UserId, x.MirrorId }).IsUnique()
                .HasDatabaseName("ux_pfa_modification_open_delta")
                .HasFilter($"state IN ({ModificationState.OpenSqlList})");
            e.HasIndex(x => new { x.OrganizationId, x.UserId, x.State });
            e.HasIndex(x => x.MirrorId);
        });
        b.Entity<PfaOutbox>(e =>
        {
            e.ToTable("pfa_outbox");
            e.Property(x => x.Payload).HasColumnType("jsonb");
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.HasIndex(x => x.ModificationId);
        });
        b.Entity<DraftJournalEntry>(e =>
        {
            e.ToTable("draft_journal", t => t.HasCheckConstraint("ck_draft_journal_state", "state IN ('done','undone')"));
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            // Undo takes the newest done entry, redo the oldest undone one, of one user in one organization.
            e.HasIndex(x => new { x.UserId, x.OrganizationId, x.State, x.Id });
        });
        b.Entity<DraftJournalLine>(e =>
        {
            e.ToTable("draft_journal_line");
            e.HasKey(x => new { x.EntryId, x.MirrorId });
            e.Property(x => x.Before).HasColumnType("jsonb");
            e.Property(x => x.After).HasColumnType("jsonb");
            e.HasOne<DraftJournalEntry>().WithMany().HasForeignKey(x => x.EntryId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<SyncLog>(e =>
        {
            e.ToTable("sync_log");
            e.Property(x => x.ErrorDetails).HasColumnType("jsonb");
            e.HasIndex(x => new { x.OrganizationId, x.StartedAt });
        });
        b.Entity<PemsConnection>(e =>
        {
            e.ToTable("pems_connection");
            e.HasKey(x => x.OrganizationId);
            e.HasOne<Organization>().WithOne().HasForeignKey<PemsConnection>(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<DataProtectionKey>(e => e.ToTable("data_protection_keys"));
        b.Entity<AuditLog>(e =>
        {
            e.ToTable("audit_log", t => t.HasCheckConstraint("ck_audit_log_outcome", "outcome IN ('success','failure','denied')"));
            e.Property(x => x.Outcome).HasDefaultValue(AuditOutcome.Success);
            e.Property(x => x.Details).HasColumnType("jsonb");
            e.HasIndex(x => new { x.OrganizationId, x.At });
        });

        // snake_case everywhere so hand-written SQL reads naturally.
        foreach (var entity in b.Model.GetEntityTypes())
            foreach (var p in entity.GetProperties())
                if (p.GetColumnName() == p.Name) p.SetColumnName(ToSnake(p.Name));
    }

    private static string ToPascal(string snake) => string.Concat(snake.Split('_').Select(s => char.ToUpperInvariant(s[0]) + s[1..]));

    private static string ToSnake(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
