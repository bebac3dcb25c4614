namespace Pfa.ServiceDefaults;

/// <summary>
/// Resource names of the app model. The AppHost, the services (connection-string and service-discovery keys)
/// and the tests all use these, so a rename cannot drift.
/// </summary>
public static class PfaResources
{
    public const string Postgres = "pg";
    public const string Database = "pfadb";
    public const string Redis = "cache";
    public const string PgAdmin = "pgadmin";
    public const string Api = "api";
    public const string SyncWorker = "syncworker";
    public const string Web = "web";
    public const string PemsSimulator = "pems";
    /// <summary>The assistant's language model (optional connection string: Endpoint=…;Key=…;Model=…).</summary>
    public const string Ai = "ai";

    public const string PostgresPassword = "pg-password";
    public const string RedisPassword = "cache-password";
    public const string JwtKey = "jwt-key";
    /// <summary>The first administrator's password (Bootstrap__AdminPassword), used only while the database has no user.</summary>
    public const string AdminPassword = "admin-password";

    // Deployment parameters for the production PEMS (publish mode only).
    public const string PemsUrl = "pems-url";
    public const string PemsTenant = "pems-tenant";
    public const string PemsUsername = "pems-username";
    public const string PemsPassword = "pems-password";
}
