using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// Text search grew with the table, not the organization: the trigram index covered every organization, so a pattern's
    /// matches in all of them were fetched from the heap and all but the caller's dropped (at 1M lines, 20 organizations:
    /// 19 of every 20 heap visits wasted). With <c>btree_gin</c> the organization is a key of the same GIN index, and GIN
    /// intersects it with the trigrams inside the index: only the organization's matches reach the heap. It replaces the
    /// table-wide index (same number of indexes for the sync to maintain). btree_gin is a trusted contrib extension
    /// (PostgreSQL 13+), like pg_trgm; on Azure Database for PostgreSQL both must be allow-listed (azure.extensions).
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261206181000_OrganizationSearchIndex")]
    public partial class OrganizationSearchIndex : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                CREATE EXTENSION IF NOT EXISTS btree_gin;
                CREATE INDEX IF NOT EXISTS ix_pfa_mirror_org_search_trgm ON pfa_mirror
                  USING gin (organization_id, search_text gin_trgm_ops) WHERE deleted_in_pems_at IS NULL;
                DROP INDEX IF EXISTS ix_pfa_mirror_search_trgm;
                """);

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                CREATE INDEX IF NOT EXISTS ix_pfa_mirror_search_trgm ON pfa_mirror USING gin (search_text gin_trgm_ops) WHERE deleted_in_pems_at IS NULL;
                DROP INDEX IF EXISTS ix_pfa_mirror_org_search_trgm;
                """);
    }
}
