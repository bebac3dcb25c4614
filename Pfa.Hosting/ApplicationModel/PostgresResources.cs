namespace Pfa.Hosting.ApplicationModel;

/// <summary>A PostgreSQL server (<c>AddPostgres</c>). Run mode: the local server binaries; publish mode: the postgres image.</summary>
public sealed class PostgresServerResource(string name, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithEndpoints, IResourceWithLifetime, IResourceWithEnvironment
{
    public const string PrimaryEndpointName = "tcp";
    public const string DefaultUserName = "postgres";

    public override string Kind => "postgres";
    public ParameterResource PasswordParameter { get; } = password;
    public string UserName => DefaultUserName;
    public EndpointAnnotation PrimaryEndpoint => Annotations.OfType<EndpointAnnotation>().First(e => e.Name == PrimaryEndpointName);
    public List<PostgresDatabaseResource> Databases { get; } = [];

    public string Host => "localhost";

    public string GetConnectionString() =>
        $"Host={Host};Port={PrimaryEndpoint.RequirePort()};Username={UserName};Password={PasswordParameter.Value}";

    public string ConnectionStringExpression =>
        $"Host={{{Name}.bindings.tcp.host}};Port={{{Name}.bindings.tcp.port}};Username={UserName};Password={{{PasswordParameter.Name}.value}}";

    public IEnumerable<KeyValuePair<string, string>> GetConnectionProperties()
    {
        yield return new("Host", Host);
        yield return new("Port", PrimaryEndpoint.RequirePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("Username", UserName);
        yield return new("Password", PasswordParameter.Value);
        yield return new("Uri", $"postgresql://{Uri.EscapeDataString(UserName)}:{Uri.EscapeDataString(PasswordParameter.Value)}@{Host}:{PrimaryEndpoint.RequirePort()}");
        yield return new("JdbcConnectionString", $"jdbc:postgresql://{Host}:{PrimaryEndpoint.RequirePort()}");
    }
}

/// <summary>A database inside a server (<c>AddDatabase</c>); created by the AppHost once the server is ready.</summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource parent)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent, IResourceWithLifetime
{
    public override string Kind => "database";
    public string DatabaseName { get; } = databaseName;
    public PostgresServerResource Server { get; } = parent;
    IResource IResourceWithParent.Parent => Server;

    public string GetConnectionString() => $"{Server.GetConnectionString()};Database={QuoteIfNeeded(DatabaseName)}";

    // Connection-string quoting rules, as DbConnectionStringBuilder applies them for Aspire.
    private static string QuoteIfNeeded(string value) =>
        value.Any(c => c is ';' or '=' or '\'' or '"' || char.IsWhiteSpace(c)) ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    public string ConnectionStringExpression => $"{{{Server.Name}.connectionString}};Database={DatabaseName}";

    public IEnumerable<KeyValuePair<string, string>> GetConnectionProperties()
    {
        var port = Server.PrimaryEndpoint.RequirePort();
        var password = Server.PasswordParameter.Value;
        yield return new("Host", Server.Host);
        yield return new("Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("Username", Server.UserName);
        yield return new("Password", password);
        yield return new("Uri", $"postgresql://{Uri.EscapeDataString(Server.UserName)}:{Uri.EscapeDataString(password)}@{Server.Host}:{port}/{Uri.EscapeDataString(DatabaseName)}");
        yield return new("JdbcConnectionString", $"jdbc:postgresql://{Server.Host}:{port}/{DatabaseName}");
        yield return new("DatabaseName", DatabaseName);
    }
}

/// <summary>
/// The PostgreSQL web admin (<c>WithPgAdmin</c>). Without a container runtime the pgAdmin image cannot run,
/// so run mode serves Adminer with PHP's built-in server instead; publish mode still describes pgAdmin's image.
/// </summary>
public sealed class PgAdminResource(string name, PostgresServerResource server) : Resource(name), IResourceWithEndpoints, IResourceWithLifetime
{
    public const string PrimaryEndpointName = "http";
    public override string Kind => "pgadmin";
    public PostgresServerResource Server { get; } = server;
}
