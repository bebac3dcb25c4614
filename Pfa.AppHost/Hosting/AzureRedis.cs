using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// Publish mode: Redis becomes Azure Cache for Redis (committed module <c>infra/redis-cache.module.bicep</c>; TLS on 6380,
/// the access key only in a Key Vault), the way Aspire's <c>AddAzureRedis().WithAccessKeyAuthentication()</c> publishes.
/// Run mode is untouched.
/// </summary>
public static class AzureRedis
{
    public const string File = "redis-cache.module.bicep";

    /// <param name="skuName">Basic (no replica, cheaper for test environments), Standard or Premium.</param>
    public static IResourceBuilder<RedisResource> PublishAsAzureRedis(this IResourceBuilder<RedisResource> builder, string skuName = "Standard")
    {
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsPublishMode) return builder;
        var redis = builder.Resource;

        var vault = AzureKeyVault.Add(app, redis.Name);
        var module = new BicepModuleResource(redis.Name, BicepModuleResource.InfraFile(app, File))
        {
            ConnectionStringExpression = ReferenceExpression.Create($"{vault.ConnectionStringSecret(redis.Name)}"),
        };
        module.Parameters["keyVaultName"] = vault.Output("name");
        module.Parameters["skuName"] = skuName;
        builder.WithManifestPublishingCallback(module.WriteToManifest);

        // The password lives only in the vault: consumers get host and TLS port, the rest is in the connection string.
        var host = module.Output("hostName");
        PublishedConnectionProperties.Replace(app, redis, () =>
        [
            new("Host", ReferenceExpression.Create($"{host}")),
            new("Port", ReferenceExpression.Create($"6380")),
        ]);
        return builder;
    }
}
