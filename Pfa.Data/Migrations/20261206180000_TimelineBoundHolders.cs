using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// Timeline bounds with the caller's drafts must know, per bound, whether a line the caller has not drafted still holds the
    /// summary's extreme. That was an EXISTS probe per bound on <c>original_end</c>, <c>forecast_end</c>, <c>actual_start</c>,
    /// <c>actual_end</c>, columns without an organization-led index: each probe read the organization's lines (PostgreSQL CPU
    /// 25 → 640 ms from 5,000 to 50,000 lines). The summary now keeps how many lines hold each extreme (<c>holders_*</c>),
    /// computed in the same refresh as the extremes, so "held" is <c>holders &gt; my drafted holders</c>: a count over the
    /// caller's own drafts only. No index is added, so the sync's writes cost the same; the refresh reads the organization's
    /// lines once more.
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261206180000_TimelineBoundHolders")]
    public partial class TimelineBoundHolders : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                DROP VIEW IF EXISTS pfa_timeline_bounds_tenant;
                ALTER TABLE pfa_timeline_bounds
                  ADD COLUMN holders_original_start int NOT NULL DEFAULT 0, ADD COLUMN holders_original_end int NOT NULL DEFAULT 0,
                  ADD COLUMN holders_forecast_start int NOT NULL DEFAULT 0, ADD COLUMN holders_forecast_end int NOT NULL DEFAULT 0,
                  ADD COLUMN holders_actual_start int NOT NULL DEFAULT 0, ADD COLUMN holders_actual_end int NOT NULL DEFAULT 0;

                -- As in 20261206140000_NewLinesAndImport, plus the holder counts of each bound.
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
                  WITH b AS (
                    SELECT min(original_start) AS os, max(original_end) AS oe, min(forecast_start) AS fs, max(forecast_end) AS fe,
                           min(actual_start) AS as_, max(actual_end) AS ae
                    FROM pfa_mirror
                    WHERE organization_id = org AND deleted_in_pems_at IS NULL AND new_line_owner IS NULL AND NOT is_discontinued
                    HAVING count(*) > 0)
                  INSERT INTO pfa_timeline_bounds (organization_id, min_original_start, max_original_end, min_forecast_start, max_forecast_end,
                    min_actual_start, max_actual_end, holders_original_start, holders_original_end, holders_forecast_start,
                    holders_forecast_end, holders_actual_start, holders_actual_end)
                  SELECT org, b.os, b.oe, b.fs, b.fe, b.as_, b.ae,
                         count(*) FILTER (WHERE m.original_start = b.os), count(*) FILTER (WHERE m.original_end = b.oe),
                         count(*) FILTER (WHERE m.forecast_start = b.fs), count(*) FILTER (WHERE m.forecast_end = b.fe),
                         count(*) FILTER (WHERE m.actual_start = b.as_), count(*) FILTER (WHERE m.actual_end = b.ae)
                  FROM b CROSS JOIN pfa_mirror m
                  WHERE m.organization_id = org AND m.deleted_in_pems_at IS NULL AND m.new_line_owner IS NULL AND NOT m.is_discontinued
                  GROUP BY b.os, b.oe, b.fs, b.fe, b.as_, b.ae;
                $$;
                REVOKE ALL ON FUNCTION pfa_refresh_summaries(uuid) FROM PUBLIC;
                SELECT pfa_refresh_summaries();

                CREATE VIEW pfa_timeline_bounds_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_timeline_bounds WHERE organization_id = ANY (pfa_current_orgs());
                GRANT SELECT ON pfa_timeline_bounds_tenant TO pfa_app;
                """);

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                DROP VIEW IF EXISTS pfa_timeline_bounds_tenant;
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
                ALTER TABLE pfa_timeline_bounds
                  DROP COLUMN holders_original_start, DROP COLUMN holders_original_end, DROP COLUMN holders_forecast_start,
                  DROP COLUMN holders_forecast_end, DROP COLUMN holders_actual_start, DROP COLUMN holders_actual_end;
                CREATE VIEW pfa_timeline_bounds_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_timeline_bounds WHERE organization_id = ANY (pfa_current_orgs());
                GRANT SELECT ON pfa_timeline_bounds_tenant TO pfa_app;
                """);
    }
}
