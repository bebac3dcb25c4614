using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Pfa.Data.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // text::date is only STABLE (DateStyle); stored generated columns need IMMUTABLE. The mirror always holds ISO dates.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION pfa_to_date(value text) RETURNS date
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_date(value, 'YYYY-MM-DD') $$;
                """);
            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: true),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: true),
                    action = table.Column<string>(type: "text", nullable: false),
                    entity = table.Column<string>(type: "text", nullable: true),
                    entity_id = table.Column<string>(type: "text", nullable: true),
                    details = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "organizations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    code = table.Column<string>(type: "text", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    sync_enabled = table.Column<bool>(type: "boolean", nullable: false),
                    service_status = table.Column<string>(type: "text", nullable: false),
                    mirror_version = table.Column<long>(type: "bigint", nullable: false),
                    last_full_sync_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_incremental_sync_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_organizations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "pfa_outbox",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    modification_id = table.Column<Guid>(type: "uuid", nullable: false),
                    mirror_id = table.Column<long>(type: "bigint", nullable: false),
                    pfa_id = table.Column<string>(type: "text", nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pfa_outbox", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sync_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    direction = table.Column<string>(type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    duration_ms = table.Column<long>(type: "bigint", nullable: true),
                    records_total = table.Column<int>(type: "integer", nullable: false),
                    inserted = table.Column<int>(type: "integer", nullable: false),
                    updated = table.Column<int>(type: "integer", nullable: false),
                    unchanged = table.Column<int>(type: "integer", nullable: false),
                    deleted = table.Column<int>(type: "integer", nullable: false),
                    errored = table.Column<int>(type: "integer", nullable: false),
                    error_message = table.Column<string>(type: "text", nullable: true),
                    error_details = table.Column<string>(type: "jsonb", nullable: true),
                    triggered_by = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sync_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    username = table.Column<string>(type: "text", nullable: false),
                    display_name = table.Column<string>(type: "text", nullable: false),
                    email = table.Column<string>(type: "text", nullable: true),
                    password_hash = table.Column<string>(type: "text", nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "pfa_mirror",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    pfa_id = table.Column<string>(type: "text", nullable: false),
                    data = table.Column<string>(type: "jsonb", nullable: false),
                    pems_version = table.Column<string>(type: "text", nullable: true),
                    content_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    mirror_version = table.Column<int>(type: "integer", nullable: false),
                    last_synced_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_seen_sync_id = table.Column<long>(type: "bigint", nullable: true),
                    deleted_in_pems_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    actual_end = table.Column<DateOnly>(type: "date", nullable: true, computedColumnSql: "pfa_to_date(data->>'actualEnd')", stored: true),
                    actual_start = table.Column<DateOnly>(type: "date", nullable: true, computedColumnSql: "pfa_to_date(data->>'actualStart')", stored: true),
                    area_silo = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'areaSilo'", stored: true),
                    category = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'category'", stored: true),
                    @class = table.Column<string>(name: "class", type: "text", nullable: true, computedColumnSql: "data->>'class'", stored: true),
                    description = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'description'", stored: true),
                    dor = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'dor'", stored: true),
                    forecast_end = table.Column<DateOnly>(type: "date", nullable: true, computedColumnSql: "pfa_to_date(data->>'forecastEnd')", stored: true),
                    forecast_start = table.Column<DateOnly>(type: "date", nullable: true, computedColumnSql: "pfa_to_date(data->>'forecastStart')", stored: true),
                    has_actuals = table.Column<bool>(type: "boolean", nullable: false, computedColumnSql: "coalesce((data->>'hasActuals')::boolean, false)", stored: true),
                    is_actualized = table.Column<bool>(type: "boolean", nullable: false, computedColumnSql: "coalesce((data->>'isActualized')::boolean, false)", stored: true),
                    is_discontinued = table.Column<bool>(type: "boolean", nullable: false, computedColumnSql: "coalesce((data->>'isDiscontinued')::boolean, false)", stored: true),
                    is_funds_transferable = table.Column<bool>(type: "boolean", nullable: false, computedColumnSql: "coalesce((data->>'isFundsTransferable')::boolean, false)", stored: true),
                    manufacturer = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'manufacturer'", stored: true),
                    model = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'model'", stored: true),
                    monthly_rate = table.Column<decimal>(type: "numeric", nullable: false, computedColumnSql: "coalesce((data->>'monthlyRate')::numeric, 0)", stored: true),
                    original_end = table.Column<DateOnly>(type: "date", nullable: true, computedColumnSql: "pfa_to_date(data->>'originalEnd')", stored: true),
                    original_start = table.Column<DateOnly>(type: "date", nullable: true, computedColumnSql: "pfa_to_date(data->>'originalStart')", stored: true),
                    purchase_price = table.Column<decimal>(type: "numeric", nullable: false, computedColumnSql: "coalesce((data->>'purchasePrice')::numeric, 0)", stored: true),
                    search_text = table.Column<string>(type: "text", nullable: true, computedColumnSql: "lower(pfa_id || ' ' || coalesce(data->>'description', '') || ' ' || coalesce(data->>'manufacturer', '') || ' ' || coalesce(data->>'model', ''))", stored: true),
                    source = table.Column<string>(type: "text", nullable: true, computedColumnSql: "data->>'source'", stored: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pfa_mirror", x => x.id);
                    table.ForeignKey(
                        name: "FK_pfa_mirror_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "memberships",
                columns: table => new
                {
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    role = table.Column<string>(type: "text", nullable: false),
                    draft_version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_memberships", x => new { x.user_id, x.organization_id });
                    table.CheckConstraint("ck_memberships_role", "role IN ('Viewer','Editor','PortfolioManager','BeoAnalyst','Admin')");
                    table.ForeignKey(
                        name: "FK_memberships_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_memberships_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pfa_mirror_history",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    mirror_id = table.Column<long>(type: "bigint", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    mirror_version = table.Column<int>(type: "integer", nullable: false),
                    data = table.Column<string>(type: "jsonb", nullable: false),
                    pems_version = table.Column<string>(type: "text", nullable: true),
                    content_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    changed_by = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pfa_mirror_history", x => x.id);
                    table.ForeignKey(
                        name: "FK_pfa_mirror_history_pfa_mirror_mirror_id",
                        column: x => x.mirror_id,
                        principalTable: "pfa_mirror",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pfa_modification",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    mirror_id = table.Column<long>(type: "bigint", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<string>(type: "text", nullable: true),
                    changes = table.Column<string>(type: "jsonb", nullable: false),
                    base_values = table.Column<string>(type: "jsonb", nullable: false),
                    base_mirror_version = table.Column<int>(type: "integer", nullable: false),
                    base_pems_version = table.Column<string>(type: "text", nullable: true),
                    state = table.Column<string>(type: "text", nullable: false),
                    change_reason = table.Column<string>(type: "text", nullable: true),
                    conflict_fields = table.Column<string[]>(type: "text[]", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    committed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pfa_modification", x => x.id);
                    table.CheckConstraint("ck_pfa_modification_state", "state IN ('draft','committed','queued','syncing','synced','conflict','failed')");
                    table.ForeignKey(
                        name: "FK_pfa_modification_pfa_mirror_mirror_id",
                        column: x => x.mirror_id,
                        principalTable: "pfa_mirror",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_pfa_modification_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_organization_id_at",
                table: "audit_log",
                columns: new[] { "organization_id", "at" });

            migrationBuilder.CreateIndex(
                name: "IX_memberships_organization_id",
                table: "memberships",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "IX_organizations_code",
                table: "organizations",
                column: "code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pfa_mirror_organization_id_pfa_id",
                table: "pfa_mirror",
                columns: new[] { "organization_id", "pfa_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pfa_mirror_history_mirror_id_mirror_version",
                table: "pfa_mirror_history",
                columns: new[] { "mirror_id", "mirror_version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pfa_modification_mirror_id",
                table: "pfa_modification",
                column: "mirror_id");

            migrationBuilder.CreateIndex(
                name: "IX_pfa_modification_organization_id_user_id_state",
                table: "pfa_modification",
                columns: new[] { "organization_id", "user_id", "state" });

            migrationBuilder.CreateIndex(
                name: "ux_pfa_modification_open_delta",
                table: "pfa_modification",
                columns: new[] { "user_id", "mirror_id" },
                unique: true,
                filter: "state IN ('draft','committed','queued','syncing','conflict')");

            migrationBuilder.CreateIndex(
                name: "IX_pfa_outbox_modification_id",
                table: "pfa_outbox",
                column: "modification_id");

            migrationBuilder.CreateIndex(
                name: "IX_pfa_outbox_status_next_attempt_at",
                table: "pfa_outbox",
                columns: new[] { "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "IX_sync_log_organization_id_started_at",
                table: "sync_log",
                columns: new[] { "organization_id", "started_at" });

            migrationBuilder.CreateIndex(
                name: "IX_users_username",
                table: "users",
                column: "username",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_log");

            migrationBuilder.DropTable(
                name: "memberships");

            migrationBuilder.DropTable(
                name: "pfa_mirror_history");

            migrationBuilder.DropTable(
                name: "pfa_modification");

            migrationBuilder.DropTable(
                name: "pfa_outbox");

            migrationBuilder.DropTable(
                name: "sync_log");

            migrationBuilder.DropTable(
                name: "pfa_mirror");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "organizations");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS pfa_to_date(text);");
        }
    }
}
