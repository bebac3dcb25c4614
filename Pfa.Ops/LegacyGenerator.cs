using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pfa.Ops;

/// <summary>
/// Hidden <c>./pfa generate-legacy-db &lt;file.db&gt; [--records N]</c>: a legacy SQLite database in the old system's layout
/// (legacy-data.md §1: Prisma's DDL, DATETIME as INTEGER Unix ms, BOOLEAN 0/1) with N PFA records over 20 organizations and
/// 50 users, to measure the import (docs/performance.md "Legacy import"). The tests write their own rows into the same DDL.
/// </summary>
public static class LegacyGenerator
{
    /// <summary>The migrations' tables (the columns the importer reads, plus some it ignores), in the export's order.</summary>
    public static readonly (string Table, string Ddl)[] Schema =
    [
        ("users", """CREATE TABLE "users" ("id" TEXT NOT NULL PRIMARY KEY, "username" TEXT NOT NULL, "email" TEXT, "firstName" TEXT, "lastName" TEXT, "passwordHash" TEXT NOT NULL, "role" TEXT NOT NULL DEFAULT 'user', "isActive" BOOLEAN NOT NULL DEFAULT true, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)"""),
        ("organizations", """CREATE TABLE "organizations" ("id" TEXT NOT NULL PRIMARY KEY, "code" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT, "isActive" BOOLEAN NOT NULL DEFAULT true, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)"""),
        ("user_organizations", """CREATE TABLE "user_organizations" ("id" TEXT NOT NULL PRIMARY KEY, "userId" TEXT NOT NULL, "organizationId" TEXT NOT NULL, "role" TEXT NOT NULL DEFAULT 'member', "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)"""),
        ("api_configurations", """CREATE TABLE "api_configurations" ("id" TEXT NOT NULL PRIMARY KEY, "organizationId" TEXT, "name" TEXT NOT NULL, "url" TEXT NOT NULL, "usage" TEXT NOT NULL, "authType" TEXT NOT NULL, "authKeyEncrypted" TEXT, "authValueEncrypted" TEXT, "customHeaders" TEXT, "operationType" TEXT NOT NULL DEFAULT 'read', "feeds" TEXT, "status" TEXT NOT NULL DEFAULT 'untested', "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)"""),
        ("organization_api_credentials", """CREATE TABLE "organization_api_credentials" ("id" TEXT NOT NULL PRIMARY KEY, "organizationId" TEXT NOT NULL, "apiConfigurationId" TEXT NOT NULL, "authKeyEncrypted" TEXT, "authValueEncrypted" TEXT, "customHeaders" TEXT, "status" TEXT NOT NULL DEFAULT 'untested', "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)"""),
        ("field_configurations", """CREATE TABLE "field_configurations" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "organizationId" TEXT, "isDefault" BOOLEAN NOT NULL DEFAULT false, "fieldMappings" TEXT NOT NULL, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)"""),
        ("pfa_records", """CREATE TABLE "pfa_records" ("id" TEXT NOT NULL PRIMARY KEY, "pfaId" TEXT NOT NULL, "organizationId" TEXT NOT NULL, "areaSilo" TEXT, "category" TEXT, "forecastCategory" TEXT, "class" TEXT, "source" TEXT, "dor" TEXT, "isActualized" BOOLEAN NOT NULL DEFAULT false, "isDiscontinued" BOOLEAN NOT NULL DEFAULT false, "isFundsTransferable" BOOLEAN NOT NULL DEFAULT false, "monthlyRate" REAL, "purchasePrice" REAL, "manufacturer" TEXT, "model" TEXT, "contract" TEXT, "equipment" TEXT, "originalStart" DATETIME, "originalEnd" DATETIME, "forecastStart" DATETIME, "forecastEnd" DATETIME, "actualStart" DATETIME, "actualEnd" DATETIME, "hasPlan" BOOLEAN NOT NULL DEFAULT false, "hasActuals" BOOLEAN NOT NULL DEFAULT false, "syncState" TEXT NOT NULL DEFAULT 'pristine', "pemsVersion" TEXT, "localVersion" INTEGER NOT NULL DEFAULT 1, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)"""),
        ("sync_logs", """CREATE TABLE "sync_logs" ("id" TEXT NOT NULL PRIMARY KEY, "organizationId" TEXT NOT NULL, "syncType" TEXT NOT NULL, "status" TEXT NOT NULL, "recordsProcessed" INTEGER NOT NULL DEFAULT 0, "durationMs" INTEGER, "triggeredBy" TEXT, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)"""),
    ];

    public static void Generate(string path, int records)
    {
        if (File.Exists(path)) File.Delete(path);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var tx = connection.BeginTransaction();
        foreach (var (_, ddl) in Schema) Execute(connection, ddl);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        const int organizations = 20, users = 50;
        for (var o = 0; o < organizations; o++)
            Execute(connection, $"INSERT INTO organizations (id, code, name, isActive, createdAt, updatedAt) VALUES ('o{o}', 'GEN{o:D2}', 'Generated {o}', 1, {now}, {now})");
        for (var u = 0; u < users; u++)
        {
            Execute(connection, $"INSERT INTO users (id, username, passwordHash, role, isActive, createdAt, updatedAt) VALUES ('u{u}', 'gen-user-{u}', '', '{(u == 0 ? "admin" : "user")}', 1, {now}, {now})");
            Execute(connection, $"INSERT INTO user_organizations (id, userId, organizationId, role, createdAt) VALUES ('m{u}', 'u{u}', 'o{u % organizations}', '{(u % 5 == 0 ? "owner" : "member")}', {now})");
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO pfa_records (id, pfaId, organizationId, areaSilo, category, class, source, dor, isActualized, monthlyRate, purchasePrice,
                                     manufacturer, model, equipment, originalStart, originalEnd, forecastStart, forecastEnd, actualStart, pemsVersion, createdAt, updatedAt)
            VALUES ($id, $pfa, $org, $area, $cat, $class, $source, $dor, $act, $rate, $price, 'Liebherr', 'LTM 1050', $eq, $os, $oe, $fs, $fe, $as, $ver, $now, $now)
            """;
        var p = new[] { "$id", "$pfa", "$org", "$area", "$cat", "$class", "$source", "$dor", "$act", "$rate", "$price", "$eq", "$os", "$oe", "$fs", "$fe", "$as", "$ver", "$now" }
            .ToDictionary(n => n, n => insert.Parameters.Add(n, SqliteType.Text));
        insert.Prepare();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < records; i++)
        {
            var org = i % organizations;
            var from = start.AddDays(i % 180);
            p["$id"].Value = $"pfa-o{org}-{i}";
            p["$pfa"].Value = (100000 + i).ToString(CultureInfo.InvariantCulture);
            p["$org"].Value = $"o{org}";
            p["$area"].Value = $"Area {(char)('A' + i % 6)}";
            p["$cat"].Value = $"Category {i % 17}";
            p["$class"].Value = $"Class {i % 41}";
            p["$source"].Value = i % 4 == 0 ? "Purchase" : "Rental";
            p["$dor"].Value = i % 3 == 0 ? "BEO" : "PROJECT";
            p["$act"].Value = i % 10 == 0 ? 1L : 0L;
            p["$rate"].Value = 1000 + i % 997 * 12.5;
            p["$price"].Value = i % 4 == 0 ? 50000.0 + i % 1000 : DBNull.Value;
            p["$eq"].Value = $"EQ-{i}";
            p["$os"].Value = from.ToUnixTimeMilliseconds();
            p["$oe"].Value = from.AddDays(90).ToUnixTimeMilliseconds();
            p["$fs"].Value = from.AddDays(7).ToUnixTimeMilliseconds();
            p["$fe"].Value = from.AddDays(120).ToUnixTimeMilliseconds();
            p["$as"].Value = i % 10 == 0 ? from.AddDays(8).ToUnixTimeMilliseconds() : DBNull.Value;
            p["$ver"].Value = "2025-11-20T08:00:00";
            p["$now"].Value = now;
            insert.ExecuteNonQuery();
        }
        tx.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
