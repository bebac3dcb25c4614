using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// Publish mode: the database is on a PostgreSQL server that already exists, so azd asks for its connection string
/// (a secret <c>parameter.v0</c> with a <c>connectionString</c>, as Aspire's <c>AddConnectionString</c> writes) instead
/// of deploying one. Run mode is untouched. Setting: <c>Deploy:ExistingPostgres=true</c> (docs/deploy.md).
/// </summary>
public static class ExistingPostgres
{
    public const string SettingKey = "Deploy:ExistingPostgres";

    public static IResourceBuilder<PostgresDatabaseResource> PublishAsConnectionString(this IResourceBuilder<PostgresDatabaseResource> builder)
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsPublishMode || IsConnectionString(builder.Resource)) return builder;
        var name = builder.Resource.Name;
        builder.WithAnnotation(new PublishAsConnectionStringAnnotation());
        builder.WithManifestPublishingCallback(context =>
        {
            context.Writer.WriteString("type", "parameter.v0");
            context.Writer.WriteString("connectionString", $"{{{name}.value}}");
            context.Writer.WriteString("value", $"{{{name}.inputs.value}}");
            context.Writer.WriteStartObject("inputs");
            context.Writer.WriteStartObject("value");
            context.Writer.WriteString("type", "string");
            context.Writer.WriteBoolean("secret", true);
            context.Writer.WriteEndObject();
            context.Writer.WriteEndObject();
        });
        // Only the connection string is known for a server we do not deploy.
        PublishedConnectionProperties.Replace(builder.ApplicationBuilder, builder.Resource, () => []);
        return builder;
    }

    internal static bool IsConnectionString(IResource database) => database.Annotations.OfType<PublishAsConnectionStringAnnotation>().Any();

    private sealed class PublishAsConnectionStringAnnotation : IResourceAnnotation;
}
