using System.Globalization;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// The PostgreSQL web admin in run mode: Debian's single-file Adminer under PHP's built-in server
/// (pgAdmin itself only ships as a container image). Optional tooling: skipped with a notice when missing.
/// </summary>
internal sealed class PgAdminRunner(PgAdminResource admin, RunContext context) : ResourceRunner(admin, context)
{
    internal const string AdminerScript = "/usr/share/adminer/adminer.php";

    private EndpointAnnotation Endpoint => admin.Annotations.OfType<EndpointAnnotation>().Single();

    public override string? SkipReason
    {
        get
        {
            var missing = new List<string>();
            if (FindOnPath("php") is null) missing.Add("php-cli");
            if (!File.Exists(AdminerScript)) missing.Add("adminer");
            if (!Directory.Exists("/etc/php") || !Directory.EnumerateFiles("/etc/php", "pgsql.ini", SearchOption.AllDirectories).Any()) missing.Add("php-pgsql");
            return missing.Count == 0 ? null
                : $"the web admin needs {string.Join(", ", missing)}; install with: {(Context.IsRoot ? "" : "sudo ")}apt-get install -y --no-install-recommends adminer php-cli php-pgsql";
        }
    }

    /// <summary>Adminer pre-fills the login form from the query string: server, user and database.</summary>
    public override IReadOnlyList<string> Urls =>
    [
        $"http://localhost:{Endpoint.RequirePort()}/?pgsql=localhost:{admin.Server.PrimaryEndpoint.RequirePort()}&username={admin.Server.UserName}"
        + (admin.Server.Databases.FirstOrDefault() is { } db ? $"&db={db.DatabaseName}" : ""),
    ];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        EnsurePortFree(Endpoint);
        Log.HideFromConsole = line => line.EndsWith(" Accepted", StringComparison.Ordinal) || line.EndsWith(" Closing", StringComparison.Ordinal)
                                      || line.Contains("] 127.0.0.1:", StringComparison.Ordinal);
        var directory = Path.Combine(Context.DataDirectory, admin.Name);
        Directory.CreateDirectory(directory);
        Launch(new ProcessLaunch(FindOnPath("php")!, ["-S", $"127.0.0.1:{Endpoint.RequirePort().ToString(CultureInfo.InvariantCulture)}", AdminerScript], directory)
        {
            Environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" },
            StopSequence = [(Native.SIGTERM, TimeSpan.FromSeconds(5)), (Native.SIGKILL, TimeSpan.FromSeconds(5))],
        });
        return Task.CompletedTask;
    }

    public override Task<string?> CheckHealthAsync(CancellationToken cancellationToken) =>
        HttpProbe.CheckAsync($"http://127.0.0.1:{Endpoint.RequirePort()}/", 200, cancellationToken);
}
