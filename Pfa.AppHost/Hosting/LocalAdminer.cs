using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Pfa.AppHost.Hosting;

/// <summary>Adminer (Debian's single-file PHP admin) on PHP's built-in server, standing in for the pgAdmin container.</summary>
public sealed class LocalAdminerResource(string name, string command, string directory) : ExecutableResource(name, command, directory)
{
    public const string Script = "/usr/share/adminer/adminer.php";
}

public static class LocalAdminerExtensions
{
    /// <summary>
    /// Runs the PostgreSQL web admin as Adminer on <c>php -S</c> when the data-store mode says so (pgAdmin ships only as a
    /// container image). Its URL opens the login form with server, user and database filled in.
    /// </summary>
    public static IResourceBuilder<PgAdminContainerResource> RunAsLocalProcess(this IResourceBuilder<PgAdminContainerResource> builder)
    {
        var app = builder.ApplicationBuilder;
        if (!LocalDataStores.UseLocalProcesses(app)) return builder;

        var admin = builder.Resource;
        var local = new LocalAdminerResource(admin.Name, LocalDataStores.FindOnPath("php") ?? "php", Path.Combine(LocalDataStores.DataDirectory(app), admin.Name));
        LocalProcessSwap.ShareEndpoints(admin, local);
        var http = new EndpointReference(admin, "http");

        app.CreateResourceBuilder(local)
            .WithIconName("WindowDevTools")
            .WithArgs(context =>
            {
                context.Args.Add("-S");
                context.Args.Add(ReferenceExpression.Create($"127.0.0.1:{http.Property(EndpointProperty.TargetPort)}"));
                context.Args.Add(LocalAdminerResource.Script);
            })
            .WithHttpHealthCheck("/")
            .WithUrls(context =>
            {
                // Adminer pre-fills its login form from the query string.
                var server = context.ExecutionContext.Services.GetRequiredService<DistributedApplicationModel>().Resources
                    .OfType<LocalPostgresServerResource>().FirstOrDefault();
                var url = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == "http");
                if (server is null || url is null) return;
                var database = server.Server.Databases.Values.FirstOrDefault();
                context.Urls.Add(new ResourceUrlAnnotation
                {
                    Url = $"{url.Url}/?pgsql=localhost:{server.Server.PrimaryEndpoint.Port}&username=postgres" + (database is null ? "" : $"&db={database}"),
                    DisplayText = "Sign in (Adminer)",
                    Endpoint = url.Endpoint,
                });
            })
            .OnBeforeResourceStarted((_, e, _) => LocalDataStores.ReportFailureAsync(e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(local), () =>
            {
                var missing = new List<string>();
                if (LocalDataStores.FindOnPath("php") is null) missing.Add("php-cli");
                if (!File.Exists(LocalAdminerResource.Script)) missing.Add("adminer");
                if (!Directory.Exists("/etc/php") || !Directory.EnumerateFiles("/etc/php", "pgsql.ini", SearchOption.AllDirectories).Any()) missing.Add("php-pgsql");
                if (missing.Count > 0)
                {
                    throw new DistributedApplicationException($"The web admin needs {string.Join(", ", missing)}: {LocalDataStores.InstallHint("adminer php-cli php-pgsql")}.");
                }
                Directory.CreateDirectory(local.WorkingDirectory);
                return Task.CompletedTask;
            }));

        LocalProcessSwap.ReplaceAtStart(app, admin, local);
        return builder;
    }
}
