using Microsoft.Extensions.Configuration;
using Pfa.Hosting;
using Pfa.Hosting.ApplicationModel;
using Pfa.Hosting.Orchestration;

namespace Pfa.Tests.Unit;

/// <summary>The app model's rules that need no process: passwords, names, connection strings, launch profiles, parameters.</summary>
public sealed class AppModelTests
{
    [Fact]
    public void Generated_passwords_follow_aspires_rules()
    {
        var passwords = Enumerable.Range(0, 200).Select(_ => PasswordGenerator.Generate()).ToList();
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
        foreach (var p in passwords)
        {
            Assert.True(p.Length >= 22);
            Assert.Contains(p, char.IsAsciiLetterLower);
            Assert.Contains(p, char.IsAsciiLetterUpper);
            Assert.Contains(p, char.IsAsciiDigit);
            Assert.Contains(p, c => "-_.{}~()*+!".Contains(c));
            Assert.DoesNotContain(p, c => "ilo ILO,;=\"'".Contains(c));
        }
    }

    [Fact]
    public void Redis_passwords_have_no_special_characters()
    {
        var p = new GenerateParameterDefault { Special = false }.GenerateValue();
        Assert.True(p.Length >= 22);
        Assert.All(p, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
    }

    [Theory]
    [InlineData("pfadb", "PFADB")]
    [InlineData("pg-password", "PG_PASSWORD")]
    [InlineData("1st", "_1ST")]
    public void Environment_names_are_encoded_as_aspire_does(string name, string expected) =>
        Assert.Equal(expected, ProjectEnvironment.EncodeName(name));

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("a--b")]
    [InlineData("trailing-")]
    [InlineData("under_score")]
    public void Invalid_resource_names_are_rejected(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => new ParameterResource(name, false, null));

    [Fact]
    public void Connection_strings_are_spelled_as_aspire_writes_them()
    {
        var password = new ParameterResource("pg-password", true, null);
        password.SetValue("s3cret-Pass");
        var pg = new PostgresServerResource("pg", password);
        pg.Annotations.Add(new EndpointAnnotation("tcp", "tcp", 5432, 5432, "tcp") { AllocatedPort = 6000 });
        var db = new PostgresDatabaseResource("pfadb", "pfadb", pg);
        var odd = new PostgresDatabaseResource("odd", "my db", pg);

        Assert.Equal("Host=localhost;Port=6000;Username=postgres;Password=s3cret-Pass", pg.GetConnectionString());
        Assert.Equal("Host=localhost;Port=6000;Username=postgres;Password=s3cret-Pass;Database=pfadb", db.GetConnectionString());
        Assert.EndsWith(";Database=\"my db\"", odd.GetConnectionString(), StringComparison.Ordinal);
        Assert.Equal("{pg.connectionString};Database=pfadb", db.ConnectionStringExpression);
        Assert.Equal("Host={pg.bindings.tcp.host};Port={pg.bindings.tcp.port};Username=postgres;Password={pg-password.value}", pg.ConnectionStringExpression);

        var redisPassword = new ParameterResource("cache-password", true, null);
        redisPassword.SetValue("abc123");
        var redis = new RedisResource("cache", redisPassword);
        redis.Annotations.Add(new EndpointAnnotation("tcp", "redis", 6379, 6379, "tcp") { AllocatedPort = 7000 });
        Assert.Equal("localhost:7000,password=abc123", redis.GetConnectionString());
        Assert.Contains(new KeyValuePair<string, string>("Uri", "redis://:abc123@localhost:7000"), redis.GetConnectionProperties());
    }

    [Fact]
    public void Launch_profiles_give_endpoints_and_environment()
    {
        var dir = Directory.CreateTempSubdirectory("pfa-profile-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "Properties"));
            File.WriteAllText(Path.Combine(dir, "Properties", "launchSettings.json"), """
                { // comments are allowed, as in Visual Studio
                  "profiles": {
                    "IIS": { "commandName": "IISExpress" },
                    "http": { "commandName": "Project", "applicationUrl": "https://localhost:7001;http://localhost:5001",
                              "environmentVariables": { "ASPNETCORE_ENVIRONMENT": "Development" } },
                  }
                }
                """);
            var profile = LaunchProfile.Read(dir)!;
            Assert.Equal("http", profile.Name);
            Assert.Equal([7001, 5001], profile.ApplicationUrls.Select(u => u.Port));
            Assert.Equal("Development", profile.EnvironmentVariables["ASPNETCORE_ENVIRONMENT"]);
            Assert.Null(LaunchProfile.Read(dir, "missing"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Generated_parameters_are_persisted_once_and_configuration_wins()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("pfa-params-").FullName, "secrets.json");
        var store = new ParameterStore(file);
        var empty = new ConfigurationBuilder().Build();

        var first = new ParameterResource("pg-password", true, new GenerateParameterDefault());
        store.Resolve([first], empty);
        var again = new ParameterResource("pg-password", true, new GenerateParameterDefault());
        store.Resolve([again], empty);
        Assert.Equal(first.Value, again.Value);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var configured = new ParameterResource("pg-password", true, new GenerateParameterDefault());
        store.Resolve([configured], new ConfigurationBuilder().AddInMemoryCollection([new("Parameters:pg-password", "from-config")]).Build());
        Assert.Equal("from-config", configured.Value);

        var required = new ParameterResource("pems-password", true, generate: null);
        var error = Assert.Throws<DistributedApplicationException>(() => store.Resolve([required], empty));
        Assert.Contains("Parameters:pems-password", error.Message, StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(file)!, true);
    }

    [Fact]
    public void The_resource_table_lists_state_health_url_and_pid_in_model_order()
    {
        var table = ResourceTable.Render(
            [
                new ResourceSnapshot("api", "project", KnownResourceStates.Running, ResourceHealth.Healthy, ["http://localhost:5310"], 42),
                new ResourceSnapshot("pg", "postgres", KnownResourceStates.Exited, ResourceHealth.Unknown, [], null, ExitCode: 1),
            ], ["pg", "api"]);
        var lines = table.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("pg ", lines[1], StringComparison.Ordinal);
        Assert.Contains("Exited (1)", lines[1], StringComparison.Ordinal);
        Assert.Matches(@"^api\s+project\s+Running\s+Healthy\s+http://localhost:5310\s+42$", lines[2]);
    }
}
