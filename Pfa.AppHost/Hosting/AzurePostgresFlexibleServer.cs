using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// Publish mode: PostgreSQL becomes Azure Database for PostgreSQL flexible server (committed module
/// <c>infra/postgres-flexible-server.module.bicep</c>), its connection strings in a Key Vault, the way Aspire's
/// <c>AddAzurePostgresFlexibleServer().WithPasswordAuthentication()</c> publishes. Run mode is untouched.
/// </summary>
public static class AzurePostgresFlexibleServer
{
    public const string File = "postgres-flexible-server.module.bicep";

    /// <param name="extensions">Extensions the schema creates (e.g. pg_trgm): Azure lets only allow-listed ones be created.</param>
    public static IResourceBuilder<PostgresServerResource> PublishAsAzurePostgresFlexibleServer(this IResourceBuilder<PostgresServerResource> builder,
        params string[] extensions)
    {
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsPublishMode) return builder;
        var server = builder.Resource;

        var vault = AzureKeyVault.Add(app, server.Name);
        // "postgres" is reserved on the flexible server: the administrator login is generated, as Aspire does.
        var userName = ParameterResourceBuilderExtensions.CreateGeneratedParameter(app, $"{server.Name}-username", secret: false,
            new GenerateParameterDefault { MinLength = 10, Numeric = false, Special = false });
        var module = new BicepModuleResource(server.Name, BicepModuleResource.InfraFile(app, File))
        {
            ConnectionStringExpression = ReferenceExpression.Create($"{vault.ConnectionStringSecret(server.Name)}"),
        };
        module.Parameters["administratorLogin"] = userName;
        module.Parameters["administratorLoginPassword"] = server.PasswordParameter;
        module.Parameters["keyVaultName"] = vault.Output("name");
        module.Parameters["databases"] = (Func<object>)(() => string.Join(',', server.Databases.Values));
        module.Parameters["extensions"] = string.Join(',', extensions.Select(e => e.ToUpperInvariant()));
        builder.WithManifestPublishingCallback(module.WriteToManifest);

        var host = module.Output("hostName");
        PublishedConnectionProperties.Replace(app, server, () => Properties(host, userName, server.PasswordParameter, null));
        app.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var databases = e.Model.Resources.OfType<PostgresDatabaseResource>().Where(d => d.Parent == server).ToList();
            foreach (var database in databases.Where(d => !ExistingPostgres.IsConnectionString(d)))
            {
                // The module writes one secret per database, named after the database: keep resource and database names equal.
                if (database.Name != database.DatabaseName)
                {
                    throw new DistributedApplicationException($"Database resource '{database.Name}' must be named like its database '{database.DatabaseName}' to publish to Azure.");
                }
                database.Annotations.Add(new ManifestPublishingCallbackAnnotation(context =>
                {
                    context.Writer.WriteString("type", "value.v0");
                    context.Writer.WriteString("connectionString", vault.ConnectionStringSecret(database.Name).ValueExpression);
                }));
                PublishedConnectionProperties.Apply(e.Model, database, () => Properties(host, userName, server.PasswordParameter, database.DatabaseName));
            }
            if (databases.Count > 0 && databases.All(ExistingPostgres.IsConnectionString))
            {
                // Every database lives on an existing server: neither the server nor its vault is deployed.
                server.Annotations.Add(ManifestPublishingCallbackAnnotation.Ignore);
                vault.Annotations.Add(ManifestPublishingCallbackAnnotation.Ignore);
            }
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>The connection properties of Aspire's flexible server with password authentication.</summary>
    private static IEnumerable<KeyValuePair<string, ReferenceExpression>> Properties(BicepOutput host, ParameterResource userName, ParameterResource password, string? database)
    {
        var path = database is null ? "" : $"/{database}";
        yield return new("Host", ReferenceExpression.Create($"{host}"));
        yield return new("Port", ReferenceExpression.Create($"5432"));
        yield return new("Username", ReferenceExpression.Create($"{userName}"));
        yield return new("Password", ReferenceExpression.Create($"{password}"));
        yield return new("Uri", ReferenceExpression.Create($"postgresql://{userName:uri}:{password:uri}@{host}:5432{path}"));
        yield return new("JdbcConnectionString", ReferenceExpression.Create($"jdbc:postgresql://{host}:5432{path}?sslmode=require"));
        if (database is not null) yield return new("DatabaseName", ReferenceExpression.Create($"{database}"));
    }
}
