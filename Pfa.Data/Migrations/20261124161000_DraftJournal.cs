using System;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// Server-backed undo/redo: a per-user, per-organization journal of draft operations. Statement-level triggers with
    /// transition tables record, set-based, each touched delta row before and after the operation — but only while the
    /// API has set <c>pfa.journal_id</c> for the transaction, so commits, the sync worker and undo itself are not journaled.
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261124161000_DraftJournal")]
    public partial class DraftJournal : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "draft_journal",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    label = table.Column<string>(type: "text", nullable: false),
                    state = table.Column<string>(type: "text", nullable: false),
                    lines = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    undone_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_draft_journal", x => x.id);
                    table.CheckConstraint("ck_draft_journal_state", "state IN ('done','undone')");
                    table.ForeignKey(
                        name: "FK_draft_journal_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "draft_journal_line",
                columns: table => new
                {
                    entry_id = table.Column<long>(type: "bigint", nullable: false),
                    mirror_id = table.Column<long>(type: "bigint", nullable: false),
                    before = table.Column<string>(type: "jsonb", nullable: true),
                    after = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_draft_journal_line", x => new { x.entry_id, x.mirror_id });
                    table.ForeignKey(
                        name: "FK_draft_journal_line_draft_journal_entry_id",
                        column: x => x.entry_id,
                        principalTable: "draft_journal",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_draft_journal_user_id_organization_id_state_id",
                table: "draft_journal",
                columns: new[] { "user_id", "organization_id", "state", "id" });

            migrationBuilder.Sql("""
                CREATE FUNCTION pfa_journal_capture() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                  j bigint := nullif(current_setting('pfa.journal_id', true), '')::bigint;
                  u uuid := pfa_current_user();
                BEGIN
                  IF j IS NULL THEN RETURN NULL; END IF;
                  -- The first before and the last after win when one operation touches a line twice.
                  IF TG_OP = 'INSERT' THEN
                    INSERT INTO draft_journal_line (entry_id, mirror_id, before, after)
                    SELECT j, n.mirror_id, NULL, to_jsonb(n) FROM new_rows n WHERE n.user_id = u AND n.state = 'draft'
                    ON CONFLICT (entry_id, mirror_id) DO UPDATE SET after = EXCLUDED.after;
                  ELSIF TG_OP = 'UPDATE' THEN
                    INSERT INTO draft_journal_line (entry_id, mirror_id, before, after)
                    SELECT j, n.mirror_id, CASE WHEN o.state = 'draft' THEN to_jsonb(o) END, CASE WHEN n.state = 'draft' THEN to_jsonb(n) END
                    FROM old_rows o JOIN new_rows n ON n.id = o.id
                    WHERE n.user_id = u AND (o.state = 'draft' OR n.state = 'draft')
                    ON CONFLICT (entry_id, mirror_id) DO UPDATE SET after = EXCLUDED.after;
                  ELSE
                    INSERT INTO draft_journal_line (entry_id, mirror_id, before, after)
                    SELECT j, o.mirror_id, to_jsonb(o), NULL FROM old_rows o WHERE o.user_id = u AND o.state = 'draft'
                    ON CONFLICT (entry_id, mirror_id) DO UPDATE SET after = NULL;
                  END IF;
                  RETURN NULL;
                END $$;

                CREATE TRIGGER pfa_modification_journal_insert AFTER INSERT ON pfa_modification
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_journal_capture();
                CREATE TRIGGER pfa_modification_journal_update AFTER UPDATE ON pfa_modification
                  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_journal_capture();
                CREATE TRIGGER pfa_modification_journal_delete AFTER DELETE ON pfa_modification
                  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_journal_capture();

                GRANT SELECT, INSERT, UPDATE, DELETE ON draft_journal, draft_journal_line TO pfa_app;
                GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pfa_app;
                ALTER TABLE draft_journal ENABLE ROW LEVEL SECURITY;
                ALTER TABLE draft_journal_line ENABLE ROW LEVEL SECURITY;
                -- A journal is private to its author in one of their organizations.
                CREATE POLICY own_journal ON draft_journal TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs()) AND user_id = pfa_current_user())
                  WITH CHECK (organization_id = ANY (pfa_current_orgs()) AND user_id = pfa_current_user());
                CREATE POLICY own_journal_lines ON draft_journal_line TO pfa_app
                  USING (entry_id IN (SELECT id FROM draft_journal))
                  WITH CHECK (entry_id IN (SELECT id FROM draft_journal));
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS pfa_modification_journal_delete ON pfa_modification;
                DROP TRIGGER IF EXISTS pfa_modification_journal_update ON pfa_modification;
                DROP TRIGGER IF EXISTS pfa_modification_journal_insert ON pfa_modification;
                DROP FUNCTION IF EXISTS pfa_journal_capture();
                """);
            migrationBuilder.DropTable(name: "draft_journal_line");
            migrationBuilder.DropTable(name: "draft_journal");
        }
    }
}
