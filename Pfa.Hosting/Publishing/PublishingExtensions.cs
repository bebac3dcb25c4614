using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

/// <summary>Publish-mode verbs of the app model (Aspire's <c>ExcludeFromManifest</c> and the Azure hosting integrations).</summary>
public static class PublishingExtensions
{
    /// <summary>Run-mode only: the resource is left out of the deployment manifest (development tools, simulators).</summary>
    public static IResourceBuilder<T> ExcludeFromManifest<T>(this IResourceBuilder<T> builder) where T : IResource
    {
        if (!builder.Resource.Annotations.OfType<ExcludeFromManifestAnnotation>().Any()) builder.Resource.Annotations.Add(new ExcludeFromManifestAnnotation());
        return builder;
    }

    /// <summary>
    /// Publish mode deploys the server as Azure Database for PostgreSQL flexible server (password authentication,
    /// databases created by the module, connection strings in a Key Vault), instead of the postgres container.
    /// Run mode is unchanged: the local server.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> PublishAsAzurePostgresFlexibleServer(this IResourceBuilder<PostgresServerResource> builder,
        string skuName = "Standard_B1ms", string skuTier = "Burstable", string version = "16", int storageSizeGb = 32)
    {
        builder.Resource.Annotations.RemoveAll(a => a is AzurePostgresFlexibleServerAnnotation);
        ParameterResource? userName = null;
        if (builder.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            // "postgres" is a reserved login on the flexible server: the administrator login is generated, as Aspire does.
            userName = builder.ApplicationBuilder.AddResource(new ParameterResource($"{builder.Resource.Name}-username", secret: false,
                new GenerateParameterDefault { MinLength = 10, Upper = false, Numeric = false, Special = false })).Resource;
        }
        builder.Resource.Annotations.Add(new AzurePostgresFlexibleServerAnnotation(userName, skuName, skuTier, version, storageSizeGb));
        return builder;
    }

    /// <summary>
    /// Publish mode asks for this database's connection string (an existing PostgreSQL) instead of deploying a server:
    /// the manifest carries a secret <c>parameter.v0</c> with a <c>connectionString</c>, as Aspire's <c>AddConnectionString</c>.
    /// A server whose databases all publish this way is left out. Run mode is unchanged.
    /// </summary>
    /// <summary>
    /// Extensions the schema creates (e.g. <c>pg_trgm</c>). Azure Database for PostgreSQL only lets allow-listed extensions be
    /// created, so the flexible server module sets its <c>azure.extensions</c> parameter; locally the server has them all.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> WithExtensions(this IResourceBuilder<PostgresServerResource> builder, params string[] names)
    {
        builder.Resource.Annotations.RemoveAll(a => a is PostgresExtensionsAnnotation);
        builder.Resource.Annotations.Add(new PostgresExtensionsAnnotation(names));
        return builder;
    }

    public static IResourceBuilder<PostgresDatabaseResource> PublishAsConnectionString(this IResourceBuilder<PostgresDatabaseResource> builder)
    {
        if (!builder.Resource.Annotations.OfType<PublishAsConnectionStringAnnotation>().Any()) builder.Resource.Annotations.Add(new PublishAsConnectionStringAnnotation());
        return builder;
    }

    /// <summary>
    /// Publish mode deploys Redis as Azure Cache for Redis (TLS on 6380, access key in a Key Vault) instead of the redis container.
    /// Run mode is unchanged: the local redis-server.
    /// </summary>
    public static IResourceBuilder<RedisResource> PublishAsAzureRedis(this IResourceBuilder<RedisResource> builder, string skuName = "Standard", int capacity = 0)
    {
        builder.Resource.Annotations.RemoveAll(a => a is AzureRedisAnnotation);
        builder.Resource.Annotations.Add(new AzureRedisAnnotation(skuName, capacity));
        return builder;
    }
}

/// <summary>The resource is not written to the deployment manifest.</summary>
public sealed record ExcludeFromManifestAnnotation : IResourceAnnotation;

/// <summary>Publish the database as a connection-string parameter (existing server).</summary>
public sealed record PublishAsConnectionStringAnnotation : IResourceAnnotation;

/// <summary>Publish as Azure Database for PostgreSQL flexible server (<c>azure.bicep.v0</c>).</summary>
public sealed record AzurePostgresFlexibleServerAnnotation(ParameterResource? UserNameParameter, string SkuName, string SkuTier, string Version, int StorageSizeGb) : IResourceAnnotation;

/// <summary>PostgreSQL extensions the application creates.</summary>
public sealed record PostgresExtensionsAnnotation(IReadOnlyList<string> Names) : IResourceAnnotation;

/// <summary>Publish as Azure Cache for Redis (<c>azure.bicep.v0</c>).</summary>
public sealed record AzureRedisAnnotation(string SkuName, int Capacity) : IResourceAnnotation;
