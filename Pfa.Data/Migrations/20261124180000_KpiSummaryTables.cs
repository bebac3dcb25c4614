using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// <c>pfa_kpi_groups</c> and <c>pfa_timeline_bounds</c> were materialized views: a change in one organization refreshed
    /// both over every line of every organization (a 500-line sync into the 1M-line benchmark spent ~8 of its 9 s there).
    /// They become plain tables with the same names, columns and unique keys, recomputed per organization by
    /// <c>pfa_refresh_summaries(org)</c> — delete and re-insert that organization's rows from its own lines (index scan on
    /// <c>organization_id</c>), in the caller's transaction, so readers switch from the old figures to the new at commit.
    /// <c>pfa_refresh_summaries()</c> without an argument recomputes every organization (loaders, tests). The tenant views
    /// on top are recreated unchanged.
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261124180000_KpiSummaryTables")]
    public partial class KpiSummaryTables : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                DROP VIEW IF EXISTS pfa_kpi_groups_tenant;
                DROP VIEW IF EXISTS pfa_timeline_bounds_tenant;
                DROP MATERIALIZED VIEW IF EXISTS pfa_kpi_groups;
                DROP MATERIALIZED VIEW IF EXISTS pfa_timeline_bounds;

                CREATE TABLE pfa_kpi_groups (
                  organization_id uuid NOT NULL, source text NOT NULL, category text NOT NULL, class text NOT NULL, dor text NOT NULL,
                  area_silo text NOT NULL, line_count int NOT NULL, plan_cost numeric, forecast_cost numeric, actual_cost numeric);
                CREATE UNIQUE INDEX ux_pfa_kpi_groups ON pfa_kpi_groups (organization_id, source, category, class, dor, area_silo);
                CREATE TABLE pfa_timeline_bounds (
                  organization_id uuid NOT NULL,
                  min_original_start date, max_original_end date, min_forecast_start date, max_forecast_end date,
                  min_actual_start date, max_actual_end date);
                CREATE UNIQUE INDEX ux_pfa_timeline_bounds ON pfa_timeline_bounds (organization_id);

                -- Same grain and rules as the views were (KPI: live, not discontinued, not funds-transferable; bounds: live, not discontinued).
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
                  WHERE organization_id = org AND deleted_in_pems_at IS NULL AND NOT is_discontinued AND NOT is_funds_transferable
                  GROUP BY 1, 2, 3, 4, 5, 6;
                  DELETE FROM pfa_timeline_bounds WHERE organization_id = org;
                  INSERT INTO pfa_timeline_bounds
                  SELECT organization_id, min(original_start), max(original_end), min(forecast_start), max(forecast_end),
                         min(actual_start), max(actual_end)
                  FROM pfa_mirror
                  WHERE organization_id = org AND deleted_in_pems_at IS NULL AND NOT is_discontinued
                  GROUP BY organization_id;
                $$;
                CREATE OR REPLACE FUNCTION pfa_refresh_summaries() RETURNS void LANGUAGE plpgsql AS $$
                DECLARE org uuid;
                BEGIN
                  FOR org IN SELECT id FROM organizations LOOP PERFORM pfa_refresh_summaries(org); END LOOP;
                END $$;
                REVOKE ALL ON FUNCTION pfa_refresh_summaries(uuid) FROM PUBLIC;
                REVOKE ALL ON FUNCTION pfa_refresh_summaries() FROM PUBLIC;
                SELECT pfa_refresh_summaries();

                -- Tables now, but still outside RLS: pfa_app keeps reading them only through the tenant views.
                CREATE VIEW pfa_kpi_groups_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_kpi_groups WHERE organization_id = ANY (pfa_current_orgs());
                CREATE VIEW pfa_timeline_bounds_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_timeline_bounds WHERE organization_id = ANY (pfa_current_orgs());
                GRANT SELECT ON pfa_kpi_groups_tenant, pfa_timeline_bounds_tenant TO pfa_app;
                """);

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                DROP VIEW IF EXISTS pfa_kpi_groups_tenant;
                DROP VIEW IF EXISTS pfa_timeline_bounds_tenant;
                DROP FUNCTION IF EXISTS pfa_refresh_summaries();
                DROP FUNCTION IF EXISTS pfa_refresh_summaries(uuid);
                DROP TABLE IF EXISTS pfa_kpi_groups;
                DROP TABLE IF EXISTS pfa_timeline_bounds;

                CREATE MATERIALIZED VIEW pfa_kpi_groups AS
                SELECT organization_id,
                       coalesce(source, 'Rental') AS source, coalesce(category, '') AS category, coalesce(class, '') AS class,
                       coalesce(dor, '') AS dor, coalesce(area_silo, '') AS area_silo,
                       count(*)::int AS line_count,
                       sum(pfa_cost(source, original_start, original_end, monthly_rate, purchase_price)) AS plan_cost,
                       sum(pfa_cost(source, forecast_start, forecast_end, monthly_rate, purchase_price)) AS forecast_cost,
                       sum(CASE WHEN has_actuals THEN pfa_cost(source, actual_start, actual_end, monthly_rate, purchase_price) ELSE 0 END) AS actual_cost
                FROM pfa_mirror
                WHERE deleted_in_pems_at IS NULL AND NOT is_discontinued AND NOT is_funds_transferable
                GROUP BY 1, 2, 3, 4, 5, 6;
                CREATE UNIQUE INDEX ux_pfa_kpi_groups ON pfa_kpi_groups (organization_id, source, category, class, dor, area_silo);
                CREATE MATERIALIZED VIEW pfa_timeline_bounds AS
                SELECT organization_id,
                       min(original_start) AS min_original_start, max(original_end) AS max_original_end,
                       min(forecast_start) AS min_forecast_start, max(forecast_end) AS max_forecast_end,
                       min(actual_start) AS min_actual_start, max(actual_end) AS max_actual_end
                FROM pfa_mirror
                WHERE deleted_in_pems_at IS NULL AND NOT is_discontinued
                GROUP BY organization_id;
                CREATE UNIQUE INDEX ux_pfa_timeline_bounds ON pfa_timeline_bounds (organization_id);
                CREATE VIEW pfa_kpi_groups_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_kpi_groups WHERE organization_id = ANY (pfa_current_orgs());
                CREATE VIEW pfa_timeline_bounds_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_timeline_bounds WHERE organization_id = ANY (pfa_current_orgs());
                GRANT SELECT ON pfa_kpi_groups_tenant, pfa_timeline_bounds_tenant TO pfa_app;
                """);
    }
}
