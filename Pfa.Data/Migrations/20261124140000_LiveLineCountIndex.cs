using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// The list's exact count (<c>count(*)</c> of an organization's live lines) read every heap page: 37–61 ms for 50,000 lines
    /// in the 1M benchmark. A narrow partial index on the live lines lets it be an index-only scan (which needs the visibility map that autovacuum keeps current; nothing here runs VACUUM itself).
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261124140000_LiveLineCountIndex")]
    public partial class LiveLineCountIndex : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("CREATE INDEX IF NOT EXISTS ix_pfa_mirror_org_live ON pfa_mirror (organization_id) WHERE deleted_in_pems_at IS NULL;");

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_pfa_mirror_org_live;");
    }
}
