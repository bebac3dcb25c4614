using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Npgsql;
using Pfa.ServiceDefaults;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Hosting;

/// <summary>Each project receives exactly the variables Aspire would inject (aspire-contract.md §1), read from the live process.</summary>
[Collection(StackCollection.Name)]
public sealed class EnvironmentContractTests(StackFixture stack)
{
    private Dictionary<string, string> EnvOf(string resource) =>
        ProcessInspector.Environment(stack.App.GetProcessId(resource) ?? throw new InvalidOperationException($"{resource} is not running"));

    [Fact]
    public async Task Api_gets_database_and_cache_connection_strings_and_properties()
    {
        var env = EnvOf(PfaResources.Api);
        var pfadb = await stack.App.GetConnectionStringAsync(PfaResources.Database, TestContext.Current.CancellationToken);
        var cache = await stack.App.GetConnectionStringAsync(PfaResources.Redis, TestContext.Current.CancellationToken);

        Assert.Equal(pfadb, env["ConnectionStrings__pfadb"]);
        Assert.Equal(cache, env["ConnectionStrings__cache"]);
        Assert.Matches(@"^Host=localhost;Port=\d+;Username=postgres;Password=[^;]{22,};Database=pfadb$", pfadb);
        Assert.Matches(@"^localhost:\d+,password=[A-Za-z0-9]{22,}$", cache);

        var builder = new NpgsqlConnectionStringBuilder(pfadb);
        Assert.Equal("localhost", env["PFADB_HOST"]);
        Assert.Equal(builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), env["PFADB_PORT"]);
        Assert.Equal("postgres", env["PFADB_USERNAME"]);
        Assert.Equal(builder.Password, env["PFADB_PASSWORD"]);
        Assert.Equal("pfadb", env["PFADB_DATABASENAME"]);
        Assert.Equal($"postgresql://postgres:{Uri.EscapeDataString(builder.Password!)}@localhost:{builder.Port}/pfadb", env["PFADB_URI"]);
        Assert.Equal($"jdbc:postgresql://localhost:{builder.Port}/pfadb", env["PFADB_JDBCCONNECTIONSTRING"]);
        Assert.StartsWith("redis://:", env["CACHE_URI"], StringComparison.Ordinal);
    }

    [Fact]
    public void Web_discovers_the_api_by_both_spellings_and_gets_no_database()
    {
        var env = EnvOf(PfaResources.Web);
        var api = stack.App.GetEndpoint(PfaResources.Api).ToString().TrimEnd('/');
        Assert.Equal(api, env["services__api__http__0"]);
        Assert.Equal(api, env["API_HTTP"]);
        Assert.DoesNotContain("ConnectionStrings__pfadb", env.Keys);
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("PFADB_", StringComparison.Ordinal));
    }

    [Fact]
    public void Sync_worker_gets_the_database_and_the_pems_endpoint()
    {
        var env = EnvOf(PfaResources.SyncWorker);
        Assert.Equal(stack.App.GetEndpoint(PfaResources.PemsSimulator).ToString().TrimEnd('/'), env["services__pems__http__0"]);
        Assert.Equal(env["services__pems__http__0"], env["PEMS_HTTP"]);
        Assert.True(env.ContainsKey("ConnectionStrings__pfadb"));
        Assert.True(env.ContainsKey("ConnectionStrings__cache"));
    }

    [Theory]
    [InlineData(PfaResources.Api)]
    [InlineData(PfaResources.SyncWorker)]
    [InlineData(PfaResources.Web)]
    [InlineData(PfaResources.PemsSimulator)]
    public void Every_project_gets_urls_telemetry_and_console_settings(string resource)
    {
        var env = EnvOf(resource);
        // Behind DCP's proxy: the service listens on the target port DCP picked, the endpoint is the proxy's.
        Assert.Matches(@"^http://(localhost|127\.0\.0\.1):\d+$", env["ASPNETCORE_URLS"]);
        Assert.Equal(resource, env["OTEL_SERVICE_NAME"]);
        Assert.Matches(new Regex("^service.instance.id=[a-z0-9]+"), env["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal(StackFixture.OtlpEndpoint, env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("in_memory", env["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"]);
        // The testing builder runs the AppHost as Development: Aspire's fast export intervals apply.
        Assert.Equal("1000", env["OTEL_BSP_SCHEDULE_DELAY"]);
        Assert.Equal("1000", env["OTEL_BLRP_SCHEDULE_DELAY"]);
        Assert.Equal("1000", env["OTEL_METRIC_EXPORT_INTERVAL"]);
        Assert.Equal("always_on", env["OTEL_TRACES_SAMPLER"]);
        Assert.Equal("true", env["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"]);
        Assert.Equal("simple", env["LOGGING__CONSOLE__FORMATTERNAME"]);
        // From the project's own launch profile, as Aspire copies it in.
        Assert.Equal("http", env["DOTNET_LAUNCH_PROFILE"]);
        Assert.Equal("Development", env["ASPNETCORE_ENVIRONMENT"]);
        // AppHost secrets never leak into services.
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("Parameters__", StringComparison.Ordinal));
    }

    [Fact]
    public void Service_instance_ids_differ_between_services()
    {
        var ids = new[] { PfaResources.Api, PfaResources.Web, PfaResources.SyncWorker }.Select(r => EnvOf(r)["OTEL_RESOURCE_ATTRIBUTES"]).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
