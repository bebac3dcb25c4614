using System;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// New forecast lines and line history (issue #16 items 5–7).
    /// <list type="bullet">
    /// <item><c>pfa_mirror.new_line_owner</c>: a line created in the app and not yet in PEMS is a mirror row with a provisional
    /// <c>NEW-…</c> id and its author here. A restrictive RLS policy shows it to its author only; the KPI/timeline summaries skip
    /// it (the author's figures add it through the draft adjustments like any draft).</item>
    /// <item>A new line lives exactly as long as its delta: statement-level triggers on <c>pfa_modification</c> tombstone the
    /// row when its last delta goes (discard, undo of the creation) and revive it when one comes back (undo of a discard, redo),
    /// so every read path keeps its <c>deleted_in_pems_at IS NULL</c> filter and nothing else.</item>
    /// <item><c>pfa_user_names(ids)</c>: display names of users sharing an organization with the caller (history's "who");
    /// <c>users</c> stays ungranted to pfa_app.</item>
    /// </list>
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261206140000_NewLinesAndImport")]
    public partial class NewLinesAndImport : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(name: "new_line_owner", table: "pfa_mirror", type: "uuid", nullable: true);
            migrationBuilder.Sql("""
                CREATE INDEX ix_pfa_mirror_new_lines ON pfa_mirror (organization_id, new_line_owner) WHERE new_line_owner IS NOT NULL;

                CREATE POLICY new_lines_private ON pfa_mirror AS RESTRICTIVE TO pfa_app
                  USING (new_line_owner IS NULL OR new_line_owner = pfa_current_user())
                  WITH CHECK (new_line_owner IS NULL OR new_line_owner = pfa_current_user());

                CREATE FUNCTION pfa_new_line_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'INSERT' THEN
                    UPDATE pfa_mirror m SET deleted_in_pems_at = NULL
                    WHERE m.new_line_owner IS NOT NULL AND m.deleted_in_pems_at IS NOT NULL AND m.id IN (SELECT mirror_id FROM new_rows);
                  ELSE
                    UPDATE pfa_mirror m SET deleted_in_pems_at = now()
                    WHERE m.new_line_owner IS NOT NULL AND m.deleted_in_pems_at IS NULL AND m.id IN (SELECT mirror_id FROM old_rows)
                      AND NOT EXISTS (SELECT 1 FROM pfa_modification x WHERE x.mirror_id = m.id);
                  END IF;
                  RETURN NULL;
                END $$;
                CREATE TRIGGER pfa_new_line_revive AFTER INSERT ON pfa_modification
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_new_line_visibility();
                CREATE TRIGGER pfa_new_line_drop AFTER DELETE ON pfa_modification
                  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pfa_new_line_visibility();

                CREATE FUNCTION pfa_user_names(ids uuid[]) RETURNS TABLE (id uuid, display_name text)
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
                  SELECT u.id, coalesce(nullif(u.display_name, ''), u.username) FROM users u
                  WHERE u.id = ANY (ids)
                    AND EXISTS (SELECT 1 FROM memberships ms WHERE ms.user_id = u.id AND ms.organization_id = ANY (pfa_current_orgs())) $$;
                REVOKE ALL ON FUNCTION pfa_user_names(uuid[]) FROM PUBLIC;
                GRANT EXECUTE ON FUNCTION pfa_user_names(uuid[]) TO pfa_app;

                -- As in 20261124180000_KpiSummaryTables, plus: lines not yet in PEMS belong to their author's drafts, not the summaries.
                CREATE OR REPLACE FUNCTION pfa_refresh_summaries(org uuid) RETURNS void LANGUAGE sql AS $$
                  DELETE FROM pfa_kpi_groups WHERE organization_id = org;
                  INSERT INTO pfa_kpi_groups
                  SELECT organization_id,
                         coalesce(source, 'Rental'), coalesce(category, ''), coalesce(class, ''), coalesce(dor, ''), coalesce(area_silo, ''),
                         count(*)::int,
                         sum(pfa_cost(source, original_start, original_end, monthly_rate, purchase_price)),
                         sum(pfa_cost(source, forecast_start, forecast_end, monthly_rate, purchase_price)),
                         sum(CASE WHEN has_actuals THEN pfa_cost(source, actual_start, actual_end, monthly_rate, purchase_price) ELSE 0 END)
                  FROM pfa_mirror
                  WHERE organization_id = org AND deleted_in_pems_at IS NULL AND new_line_owner IS NULL
                    AND NOT is_discontinued AND NOT is_funds_transferable
                  GROUP BY 1, 2, 3, 4, 5, 6;
                  DELETE FROM pfa_timeline_bounds WHERE organization_id = org;
                  INSERT INTO pfa_timeline_bounds
                  SELECT organization_id, min(original_start), max(original_end), min(forecast_start), max(forecast_end),
                         min(actual_start), max(actual_end)
                  FROM pfa_mirror
                  WHERE organization_id = org AND deleted_in_pems_at IS NULL AND new_line_owner IS NULL AND NOT is_discontinued
                  GROUP BY organization_id;
                $$;
                REVOKE ALL ON FUNCTION pfa_refresh_summaries(uuid) FROM PUBLIC;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS pfa_new_line_revive ON pfa_modification;
                DROP TRIGGER IF EXISTS pfa_new_line_drop ON pfa_modification;
                DROP FUNCTION IF EXISTS pfa_new_line_visibility();
                DROP FUNCTION IF EXISTS pfa_user_names(uuid[]);
                DROP POLICY IF EXISTS new_lines_private ON pfa_mirror;
                -- Lines never added to PEMS cannot outlive the column that marks them.
                DELETE FROM pfa_outbox o USING pfa_mirror m WHERE o.mirror_id = m.id AND m.new_line_owner IS NOT NULL;
                DELETE FROM draft_journal_line l USING pfa_mirror m WHERE l.mirror_id = m.id AND m.new_line_owner IS NOT NULL;
                DELETE FROM pfa_modification d USING pfa_mirror m WHERE d.mirror_id = m.id AND m.new_line_owner IS NOT NULL;
                DELETE FROM pfa_mirror WHERE new_line_owner IS NOT NULL;
                """);
            migrationBuilder.DropColumn(name: "new_line_owner", table: "pfa_mirror");
        }
    }
}
