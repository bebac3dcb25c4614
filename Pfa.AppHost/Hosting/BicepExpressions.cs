using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>An output of a Bicep module: <c>{module.outputs.name}</c>, known only once azd has deployed it.</summary>
internal sealed class BicepOutput(BicepModuleResource module, string name) : IManifestExpressionProvider, IValueProvider, IValueWithReferences
{
    public string ValueExpression => $"{{{module.Name}.outputs.{name}}}";

    public IEnumerable<object> References => [module];

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"{ValueExpression} exists only in a deployment (publish mode).");
}

/// <summary>
/// A secret in a Key Vault module: <c>{vault.secrets.name}</c>. azd resolves it at deploy time into a Container Apps
/// secret that reads the vault, so the value never appears in the manifest or the azd environment.
/// </summary>
internal sealed class KeyVaultSecret(BicepModuleResource vault, string name) : IManifestExpressionProvider, IValueProvider, IValueWithReferences
{
    public string ValueExpression => $"{{{vault.Name}.secrets.{name}}}";

    public IEnumerable<object> References => [vault];

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"{ValueExpression} exists only in a deployment (publish mode).");
}
