using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

public static class RedisBuilderExtensions
{
    public const int DefaultPort = 63790;

    /// <summary>
    /// A password-protected Redis. The generated password has no special characters because
    /// StackExchange.Redis cannot parse commas in it (Aspire's rule).
    /// </summary>
    public static IResourceBuilder<RedisResource> AddRedis(this IDistributedApplicationBuilder builder, string name,
        int? port = null, IResourceBuilder<ParameterResource>? password = null)
    {
        var passwordParameter = password?.Resource ?? builder.AddDefaultPassword(name, special: false).Resource;
        var redis = new RedisResource(name, passwordParameter);
        redis.Annotations.Add(new EndpointAnnotation(RedisResource.PrimaryEndpointName, "redis", port ?? DefaultPort, targetPort: 6379, transport: "tcp"));
        return builder.AddResource(redis);
    }
}
