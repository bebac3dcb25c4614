using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// A committed Bicep module that azd deploys: written to the manifest as <c>azure.bicep.v0</c> with <c>path</c>,
/// <c>params</c> and a <c>connectionString</c>, the shape Aspire's own Azure integrations write
/// (Aspire.Hosting.Azure is not served here, so this is the small part of it we need).
/// </summary>
internal sealed class BicepModuleResource : Resource, IResourceWithConnectionString
{
    public BicepModuleResource(string name, string templatePath) : base(name)
    {
        TemplatePath = templatePath;
        Annotations.Add(new ManifestPublishingCallbackAnnotation(WriteToManifest));
    }

    /// <summary>Full path of the .bicep file (under the AppHost's infra/ folder).</summary>
    public string TemplatePath { get; }

    /// <summary>Module parameters: literals, manifest expressions (parameters, outputs), or a <see cref="Func{TResult}"/> read at publish time.</summary>
    public Dictionary<string, object> Parameters { get; } = new(StringComparer.Ordinal);

    public ReferenceExpression ConnectionStringExpression { get; set; } = ReferenceExpression.Empty;

    public BicepOutput Output(string name) => new(this, name);

    public void WriteToManifest(ManifestPublishingContext context)
    {
        if (!File.Exists(TemplatePath)) throw new DistributedApplicationException($"Bicep module of '{Name}' not found: {TemplatePath}");
        context.Writer.WriteString("type", "azure.bicep.v0");
        context.WriteConnectionString(this);
        context.Writer.WriteString("path", context.GetManifestRelativePath(TemplatePath));
        context.Writer.WriteStartObject("params");
        foreach (var (key, raw) in Parameters)
        {
            var value = raw is Func<object> deferred ? deferred() : raw;
            context.Writer.WriteString(key, value is IManifestExpressionProvider expression ? expression.ValueExpression : value.ToString());
            context.TryAddDependentResources(value); // parameters and modules it names are written too
        }
        context.Writer.WriteEndObject();
    }

    /// <summary>The module's file under the AppHost's infra/ folder, committed with the code.</summary>
    public static string InfraFile(IDistributedApplicationBuilder builder, string fileName) =>
        Path.Combine(builder.AppHostDirectory, "infra", fileName);
}
