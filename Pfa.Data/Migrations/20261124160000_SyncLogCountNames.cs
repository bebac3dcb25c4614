using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <summary>sync_log counts take the names the sync speaks in: fetched (was records_total) and rejected (was errored).</summary>
    [DbContext(typeof(PfaDbContext))]
    [Migration("20261124160000_SyncLogCountNames")]
    public partial class SyncLogCountNames : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(name: "records_total", table: "sync_log", newName: "fetched");
            migrationBuilder.RenameColumn(name: "errored", table: "sync_log", newName: "rejected");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(name: "fetched", table: "sync_log", newName: "records_total");
            migrationBuilder.RenameColumn(name: "rejected", table: "sync_log", newName: "errored");
        }
    }
}
