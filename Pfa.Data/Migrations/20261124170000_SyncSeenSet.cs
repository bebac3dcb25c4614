using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>
    /// A full reconciliation used to stamp <c>last_seen_sync_id</c> on every line PEMS still has, so it rewrote all 50,000
    /// unchanged lines of an organization (a new tuple and every index entry, the trigram GIN index included) just to find
    /// deletions. The lines a run has seen now go to <c>pfa_sync_seen</c> instead: unlogged (a crash loses only the set of an
    /// interrupted run, which is failed and redone), keyed for the anti-join that tombstones what the run did not see, and
    /// emptied when the run ends. A no-change reconciliation writes no mirror row.
    /// </summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261124170000_SyncSeenSet")]
    public partial class SyncSeenSet : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                CREATE UNLOGGED TABLE IF NOT EXISTS pfa_sync_seen (
                  sync_id bigint NOT NULL,
                  pfa_id text NOT NULL,
                  PRIMARY KEY (sync_id, pfa_id)
                );
                """);

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("DROP TABLE IF EXISTS pfa_sync_seen;");
    }
}
