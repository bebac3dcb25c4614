using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// The Key Vault beside a managed data store (publish mode): its module writes the connection strings there as
/// <c>connectionstrings--{resource}</c>, as Aspire's Azure integrations do with password authentication.
/// </summary>
internal static class AzureKeyVault
{
    public const string File = "key-vault.module.bicep";

    public static BicepModuleResource Add(IDistributedApplicationBuilder builder, string ownerName)
    {
        var vault = new BicepModuleResource($"{ownerName}-kv", BicepModuleResource.InfraFile(builder, File));
        vault.ConnectionStringExpression = ReferenceExpression.Create($"{vault.Output("vaultUri")}");
        vault.Parameters["ownerName"] = ownerName;
        // Empty values are filled in by azd: the identity of the container apps, which may then read the secrets.
        vault.Parameters["principalId"] = "";
        vault.Parameters["principalType"] = "";
        builder.AddResource(vault);
        return vault;
    }

    public static KeyVaultSecret ConnectionStringSecret(this BicepModuleResource vault, string resourceName) =>
        new(vault, $"connectionstrings--{resourceName}");
}
