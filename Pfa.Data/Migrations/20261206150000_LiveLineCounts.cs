using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// The unfiltered list's exact total counted every live line of the organization on each first page (an index-only scan
    /// of 50,000 entries, ~5 ms of PostgreSQL CPU at 50,000 lines against ~0.5 ms at 5,000): the request cost grew with the
    /// organization. <c>pfa_line_counts</c> holds each organization's live shared lines (not tombstoned, not a user's new line),
    /// kept by statement-level triggers on <c>pfa_mirror</c> in the writer's own transaction, so every snapshot sees the count
    /// that matches its lines: exact, not an estimate. Only sync and write-back change it (a new line is its author's alone
    /// until PEMS has it), and those are serialised per organization already, so the counter row adds no contention.
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261206150000_LiveLineCounts")]
    public partial class LiveLineCounts : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                CREATE TABLE pfa_line_counts (organization_id uuid PRIMARY KEY, live_lines bigint NOT NULL);

                -- Transition tables exist per event, and PL/pgSQL plans a statement when it first runs: one branch per event.
                CREATE FUNCTION pfa_count_live_lines() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
                BEGIN
                  IF TG_OP = 'INSERT' THEN
                    INSERT INTO pfa_line_counts AS c (organization_id, live_lines)
                    SELECT organization_id, count(*) FROM new_rows WHERE deleted_in_pems_at IS NULL AND new_line_owner IS NULL GROUP BY 1
                    ON CONFLICT (organization_id) DO UPDATE SET live_lines = c.live_lines + EXCLUDED.live_lines;
                  ELSIF TG_OP = 'TRUNCATE' THEN
                    DELETE FROM pfa_line_counts;
                  ELSIF TG_OP = 'DELETE' THEN
                    UPDATE pfa_line_counts c SET live_lines = c.live_lines - o.n
                    FROM (SELECT organization_id, count(*) AS n FROM old_rows WHERE deleted_in_pems_at IS NULL AND new_line_owner IS NULL GROUP BY 1) o
                    WHERE c.organization_id = o.organization_id;
                  ELSE
                    INSERT INTO pfa_line_counts AS c (organization_id, live_lines)
                    SELECT organization_id, sum(n) FROM (
                      SELECT organization_id, 1 AS n FROM new_rows WHERE deleted_in_pems_at IS NULL AND new_line_owner IS NULL
                      UNION ALL
                      SELECT organization_id, -1 FROM old_rows WHERE deleted_in_pems_at IS NULL AND new_line_owner IS NULL) x
                    GROUP BY 1 HAVING sum(n) <> 0
                    ON CONFLICT (organization_id) DO UPDATE SET live_lines = c.live_lines + EXCLUDED.live_lines;
                  END IF;
                  RETURN NULL;
                END $$;
                REVOKE ALL ON FUNCTION pfa_count_live_lines() FROM PUBLIC;
                CREATE TRIGGER pfa_mirror_count_insert AFTER INSERT ON pfa_mirror
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_count_live_lines();
                CREATE TRIGGER pfa_mirror_count_update AFTER UPDATE ON pfa_mirror
                  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_count_live_lines();
                CREATE TRIGGER pfa_mirror_count_delete AFTER DELETE ON pfa_mirror
                  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_count_live_lines();
                CREATE TRIGGER pfa_mirror_count_truncate AFTER TRUNCATE ON pfa_mirror
                  FOR EACH STATEMENT EXECUTE FUNCTION pfa_count_live_lines();

                -- Counted under the triggers' lock on the table, so no write slips between the count and the triggers.
                LOCK TABLE pfa_mirror IN SHARE MODE;
                INSERT INTO pfa_line_counts
                SELECT organization_id, count(*) FROM pfa_mirror WHERE deleted_in_pems_at IS NULL AND new_line_owner IS NULL GROUP BY 1;

                ALTER TABLE pfa_line_counts ENABLE ROW LEVEL SECURITY;
                CREATE POLICY tenant_isolation ON pfa_line_counts TO pfa_app USING (organization_id = ANY (pfa_current_orgs()));
                GRANT SELECT ON pfa_line_counts TO pfa_app;
                """);

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS pfa_mirror_count_insert ON pfa_mirror;
                DROP TRIGGER IF EXISTS pfa_mirror_count_update ON pfa_mirror;
                DROP TRIGGER IF EXISTS pfa_mirror_count_delete ON pfa_mirror;
                DROP TRIGGER IF EXISTS pfa_mirror_count_truncate ON pfa_mirror;
                DROP FUNCTION IF EXISTS pfa_count_live_lines();
                DROP TABLE IF EXISTS pfa_line_counts;
                """);
    }
}
