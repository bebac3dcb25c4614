using System;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// Organization administration and single sign-on: a per-organization sync interval (the worker's scheduler prefers it
    /// to Sync:Interval), SSO auto-provisioning settings, and the external logins (issuer + subject) linked to users.
    /// Nothing here is granted to pfa_app: only system-admin endpoints and the sign-in path (as owner) touch them.
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261206130000_OrganizationsAndSso")]
    public partial class OrganizationsAndSso : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(name: "sync_interval_minutes", table: "organizations", type: "integer", nullable: true);
            migrationBuilder.AddColumn<string>(name: "sso_auto_provision_role", table: "organizations", type: "text", nullable: true);
            migrationBuilder.AddColumn<string[]>(name: "sso_email_domains", table: "organizations", type: "text[]", nullable: true);
            migrationBuilder.Sql("""
                ALTER TABLE organizations ADD CONSTRAINT ck_organizations_sync_interval CHECK (sync_interval_minutes BETWEEN 5 AND 1440);
                ALTER TABLE organizations ADD CONSTRAINT ck_organizations_service_status CHECK (service_status IN ('active','suspended','archived'));
                ALTER TABLE organizations ADD CONSTRAINT ck_organizations_sso_role
                  CHECK (sso_auto_provision_role IN ('Viewer','Editor','PortfolioManager','BeoAnalyst','Admin'));
                """);

            migrationBuilder.CreateTable(
                name: "external_logins",
                columns: table => new
                {
                    issuer = table.Column<string>(type: "text", nullable: false),
                    subject = table.Column<string>(type: "text", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    email = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_sign_in_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_external_logins", x => new { x.issuer, x.subject });
                    table.ForeignKey("FK_external_logins_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
                });
            migrationBuilder.CreateIndex(name: "IX_external_logins_user_id", table: "external_logins", column: "user_id");
            // SSO matches e-mail addresses case-insensitively: ux_users_email_lower (20261206120000_IdentityAndAudit) serves it.
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "external_logins");
            migrationBuilder.Sql("""
                ALTER TABLE organizations DROP CONSTRAINT IF EXISTS ck_organizations_sync_interval;
                ALTER TABLE organizations DROP CONSTRAINT IF EXISTS ck_organizations_service_status;
                ALTER TABLE organizations DROP CONSTRAINT IF EXISTS ck_organizations_sso_role;
                """);
            migrationBuilder.DropColumn(name: "sync_interval_minutes", table: "organizations");
            migrationBuilder.DropColumn(name: "sso_auto_provision_role", table: "organizations");
            migrationBuilder.DropColumn(name: "sso_email_domains", table: "organizations");
        }
    }
}
