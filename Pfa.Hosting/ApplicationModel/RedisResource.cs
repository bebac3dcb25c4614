namespace Pfa.Hosting.ApplicationModel;

/// <summary>A Redis server (<c>AddRedis</c>). Run mode: <c>redis-server</c>; publish mode: the redis image.</summary>
public sealed class RedisResource(string name, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithEndpoints, IResourceWithLifetime, IResourceWithEnvironment
{
    public const string PrimaryEndpointName = "tcp";

    public override string Kind => "redis";
    public ParameterResource PasswordParameter { get; } = password;
    public EndpointAnnotation PrimaryEndpoint => Annotations.OfType<EndpointAnnotation>().First(e => e.Name == PrimaryEndpointName);
    public string Host => "localhost";

    public string GetConnectionString() => $"{Host}:{PrimaryEndpoint.RequirePort()},password={PasswordParameter.Value}";

    public string ConnectionStringExpression =>
        $"{{{Name}.bindings.tcp.host}}:{{{Name}.bindings.tcp.port}},password={{{PasswordParameter.Name}.value}}";

    public IEnumerable<KeyValuePair<string, string>> GetConnectionProperties()
    {
        var port = PrimaryEndpoint.RequirePort();
        yield return new("Host", Host);
        yield return new("Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("Password", PasswordParameter.Value);
        yield return new("Uri", $"redis://:{Uri.EscapeDataString(PasswordParameter.Value)}@{Host}:{port}");
    }
}
