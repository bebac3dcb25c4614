using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// Everything EF cannot model: the SQL cost rule, serving indexes on generated columns, KPI/timeline materialized
    /// views, and the second wall — a non-login role <c>pfa_app</c> with row-level security on every tenant table.
    /// </summary>
    public partial class TenantSecurityAndViews : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                -- Same rule as Pfa.Domain.CostRules: end-exclusive whole days × rate ÷ 30.44, cents rounded half away from zero.
                CREATE OR REPLACE FUNCTION pfa_cost(source text, s date, e date, rate numeric, price numeric) RETURNS numeric
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                  SELECT CASE WHEN source = 'Purchase' THEN coalesce(price, 0)
                              WHEN s IS NULL OR e IS NULL THEN 0
                              ELSE round(greatest(0, e - s) * coalesce(rate, 0) / 30.44, 2) END $$;

                -- Tenant context, set per transaction by the API (set_config(..., true)).
                CREATE OR REPLACE FUNCTION pfa_current_orgs() RETURNS uuid[] LANGUAGE sql STABLE AS $$
                  SELECT coalesce(nullif(current_setting('pfa.org_ids', true), ''), '{}')::uuid[] $$;
                CREATE OR REPLACE FUNCTION pfa_current_user() RETURNS uuid LANGUAGE sql STABLE AS $$
                  SELECT nullif(current_setting('pfa.user_id', true), '')::uuid $$;

                CREATE INDEX ix_pfa_mirror_org_forecast ON pfa_mirror (organization_id, forecast_start, id);
                CREATE INDEX ix_pfa_mirror_org_category_source ON pfa_mirror (organization_id, category, source);
                CREATE INDEX ix_pfa_mirror_org_area ON pfa_mirror (organization_id, area_silo);
                CREATE INDEX ix_pfa_mirror_org_active ON pfa_mirror (organization_id, pfa_id)
                  WHERE NOT is_discontinued AND deleted_in_pems_at IS NULL;

                -- KPI grain: every roll-up (source, category, class, DOR, area/silo) is a sum over these rows.
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

                -- Materialized views ignore RLS: pfa_app reads them only through these filtered views.
                CREATE VIEW pfa_kpi_groups_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_kpi_groups WHERE organization_id = ANY (pfa_current_orgs());
                CREATE VIEW pfa_timeline_bounds_tenant WITH (security_barrier) AS
                  SELECT * FROM pfa_timeline_bounds WHERE organization_id = ANY (pfa_current_orgs());

                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pfa_app') THEN CREATE ROLE pfa_app NOLOGIN; END IF;
                END $$;
                GRANT USAGE ON SCHEMA public TO pfa_app;
                GRANT SELECT, INSERT, UPDATE, DELETE ON pfa_mirror, pfa_mirror_history, pfa_modification, pfa_outbox, sync_log, audit_log TO pfa_app;
                GRANT SELECT ON organizations TO pfa_app;
                GRANT SELECT ON memberships TO pfa_app;
                GRANT UPDATE (draft_version) ON memberships TO pfa_app;
                GRANT SELECT ON pfa_kpi_groups_tenant, pfa_timeline_bounds_tenant TO pfa_app;
                GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pfa_app;

                ALTER TABLE pfa_mirror ENABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_mirror_history ENABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_outbox ENABLE ROW LEVEL SECURITY;
                ALTER TABLE sync_log ENABLE ROW LEVEL SECURITY;
                ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_modification ENABLE ROW LEVEL SECURITY;
                ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
                CREATE POLICY tenant_isolation ON pfa_mirror TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs())) WITH CHECK (organization_id = ANY (pfa_current_orgs()));
                CREATE POLICY tenant_isolation ON pfa_mirror_history TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs())) WITH CHECK (organization_id = ANY (pfa_current_orgs()));
                CREATE POLICY tenant_isolation ON pfa_outbox TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs())) WITH CHECK (organization_id = ANY (pfa_current_orgs()));
                CREATE POLICY tenant_isolation ON sync_log TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs())) WITH CHECK (organization_id = ANY (pfa_current_orgs()));
                CREATE POLICY tenant_isolation ON audit_log TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs())) WITH CHECK (organization_id = ANY (pfa_current_orgs()));
                -- Drafts are private to their author; committed and later states are visible to the organization.
                CREATE POLICY tenant_user_isolation ON pfa_modification TO pfa_app
                  USING (organization_id = ANY (pfa_current_orgs()) AND (user_id = pfa_current_user() OR state <> 'draft'))
                  WITH CHECK (organization_id = ANY (pfa_current_orgs()) AND user_id = pfa_current_user());
                CREATE POLICY own_memberships ON memberships TO pfa_app USING (user_id = pfa_current_user());
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP POLICY IF EXISTS own_memberships ON memberships;
                DROP POLICY IF EXISTS tenant_user_isolation ON pfa_modification;
                DROP POLICY IF EXISTS tenant_isolation ON audit_log;
                DROP POLICY IF EXISTS tenant_isolation ON sync_log;
                DROP POLICY IF EXISTS tenant_isolation ON pfa_outbox;
                DROP POLICY IF EXISTS tenant_isolation ON pfa_mirror_history;
                DROP POLICY IF EXISTS tenant_isolation ON pfa_mirror;
                ALTER TABLE memberships DISABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_modification DISABLE ROW LEVEL SECURITY;
                ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;
                ALTER TABLE sync_log DISABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_outbox DISABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_mirror_history DISABLE ROW LEVEL SECURITY;
                ALTER TABLE pfa_mirror DISABLE ROW LEVEL SECURITY;
                DROP VIEW IF EXISTS pfa_timeline_bounds_tenant;
                DROP VIEW IF EXISTS pfa_kpi_groups_tenant;
                DROP MATERIALIZED VIEW IF EXISTS pfa_timeline_bounds;
                DROP MATERIALIZED VIEW IF EXISTS pfa_kpi_groups;
                DROP INDEX IF EXISTS ix_pfa_mirror_org_active;
                DROP INDEX IF EXISTS ix_pfa_mirror_org_area;
                DROP INDEX IF EXISTS ix_pfa_mirror_org_category_source;
                DROP INDEX IF EXISTS ix_pfa_mirror_org_forecast;
                DROP FUNCTION IF EXISTS pfa_current_user();
                DROP FUNCTION IF EXISTS pfa_current_orgs();
                DROP FUNCTION IF EXISTS pfa_cost(text, date, date, numeric, numeric);
                REVOKE ALL ON ALL TABLES IN SCHEMA public FROM pfa_app;
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM pfa_app;
                REVOKE USAGE ON SCHEMA public FROM pfa_app;
                """);
        }
    }
}
