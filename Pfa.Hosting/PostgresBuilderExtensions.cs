using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

public static class PostgresBuilderExtensions
{
    /// <summary>Stable host port so psql and the web admin can be pointed at it between runs.</summary>
    public const int DefaultPort = 54320;
    public const int DefaultPgAdminPort = 5350;

    /// <summary>
    /// A PostgreSQL server. Without <paramref name="password"/> the parameter <c>{name}-password</c> is generated
    /// once (≥ 22 chars) and persisted, as Aspire does.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource>? password = null, int? port = null)
    {
        var passwordParameter = password?.Resource ?? builder.AddDefaultPassword(name).Resource;
        var server = new PostgresServerResource(name, passwordParameter);
        server.Annotations.Add(new EndpointAnnotation(PostgresServerResource.PrimaryEndpointName, "tcp", port ?? DefaultPort, targetPort: 5432, transport: "tcp"));
        return builder.AddResource(server);
    }

    /// <summary>A database the AppHost creates once the server accepts connections (CREATE DATABASE, 42P04 ignored).</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> builder, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Databases.Add(database);
        return builder.ApplicationBuilder.AddResource(database);
    }

    /// <summary>Keeps the cluster in a persistent data directory (Aspire's data volume); default under the AppHost data directory.</summary>
    public static IResourceBuilder<PostgresServerResource> WithDataDirectory(this IResourceBuilder<PostgresServerResource> builder, string? path = null)
    {
        builder.Resource.Annotations.RemoveAll(a => a is DataDirectoryAnnotation);
        builder.Resource.Annotations.Add(new DataDirectoryAnnotation(path));
        return builder;
    }

    /// <summary>
    /// Adds the PostgreSQL web admin. Run mode serves Adminer (<c>php -S</c>) because pgAdmin needs a container
    /// runtime; if PHP or Adminer is missing the resource is skipped with a notice.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> WithPgAdmin(this IResourceBuilder<PostgresServerResource> builder,
        Action<IResourceBuilder<PgAdminResource>>? configure = null, string? name = null)
    {
        var appBuilder = builder.ApplicationBuilder;
        var admin = new PgAdminResource(name ?? "pgadmin", builder.Resource);
        admin.Annotations.Add(new EndpointAnnotation(PgAdminResource.PrimaryEndpointName, "http", DefaultPgAdminPort, targetPort: 80));
        admin.Annotations.Add(new WaitAnnotation(builder.Resource));
        var adminBuilder = appBuilder.AddResource(admin);
        // A development tool: never deployed (Aspire's WithPgAdmin excludes it from the manifest too).
        adminBuilder.WithHttpHealthCheck("/").ExcludeFromManifest();
        configure?.Invoke(adminBuilder);
        return builder;
    }
}
