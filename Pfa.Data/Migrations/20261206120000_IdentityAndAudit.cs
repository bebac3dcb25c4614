using System;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// Identity and audit (issue #16): users get a security stamp (in every token; a new one ends all sessions), a forced
    /// password change flag and a system-admin flag, plus unique lower(email); memberships get permission override bit
    /// masks; audit_log gets outcome, actor name and IP and becomes append-only for everyone (pfa_app loses UPDATE/DELETE,
    /// and a trigger refuses UPDATE, DELETE and TRUNCATE even for the owner).
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261206120000_IdentityAndAudit")]
    public partial class IdentityAndAudit : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(name: "security_stamp", table: "users", type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()");
            migrationBuilder.AddColumn<bool>(name: "must_change_password", table: "users", type: "boolean", nullable: false, defaultValue: false);
            migrationBuilder.AddColumn<bool>(name: "is_system_admin", table: "users", type: "boolean", nullable: false, defaultValue: false);
            migrationBuilder.AddColumn<int>(name: "permissions_granted", table: "memberships", type: "integer", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<int>(name: "permissions_revoked", table: "memberships", type: "integer", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<string>(name: "outcome", table: "audit_log", type: "text", nullable: false, defaultValue: "success");
            migrationBuilder.AddColumn<string>(name: "actor_name", table: "audit_log", type: "text", nullable: true);
            migrationBuilder.AddColumn<string>(name: "ip", table: "audit_log", type: "text", nullable: true);
            migrationBuilder.AddCheckConstraint(name: "ck_audit_log_outcome", table: "audit_log", sql: "outcome IN ('success','failure','denied')");

            migrationBuilder.Sql("""
                -- Existing admins of any organization become system admins, so an upgraded deployment keeps someone who can manage users.
                UPDATE users SET is_system_admin = true WHERE id IN (SELECT user_id FROM memberships WHERE role = 'Admin');
                CREATE UNIQUE INDEX ux_users_email_lower ON users (lower(email)) WHERE email IS NOT NULL;
                -- The audit page filters by user and pages newest first.
                CREATE INDEX ix_audit_log_user_id ON audit_log (user_id, id);

                REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM pfa_app;
                GRANT SELECT, INSERT ON audit_log TO pfa_app;
                CREATE OR REPLACE FUNCTION pfa_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
                END $$;
                CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                  FOR EACH ROW EXECUTE FUNCTION pfa_audit_log_append_only();
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                  FOR EACH STATEMENT EXECUTE FUNCTION pfa_audit_log_append_only();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
                DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
                DROP FUNCTION IF EXISTS pfa_audit_log_append_only();
                GRANT UPDATE, DELETE ON audit_log TO pfa_app;
                DROP INDEX IF EXISTS ix_audit_log_user_id;
                DROP INDEX IF EXISTS ux_users_email_lower;
                """);
            migrationBuilder.DropCheckConstraint(name: "ck_audit_log_outcome", table: "audit_log");
            migrationBuilder.DropColumn(name: "ip", table: "audit_log");
            migrationBuilder.DropColumn(name: "actor_name", table: "audit_log");
            migrationBuilder.DropColumn(name: "outcome", table: "audit_log");
            migrationBuilder.DropColumn(name: "permissions_revoked", table: "memberships");
            migrationBuilder.DropColumn(name: "permissions_granted", table: "memberships");
            migrationBuilder.DropColumn(name: "is_system_admin", table: "users");
            migrationBuilder.DropColumn(name: "must_change_password", table: "users");
            migrationBuilder.DropColumn(name: "security_stamp", table: "users");
        }
    }
}
