using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

public static class ParameterResourceBuilderExtensions
{
    /// <summary>A parameter read from configuration <c>Parameters:{name}</c>; required unless it has a generated default.</summary>
    public static IResourceBuilder<ParameterResource> AddParameter(this IDistributedApplicationBuilder builder, string name, bool secret = false)
        => builder.AddResource(new ParameterResource(name, secret, generate: null));

    /// <summary>A secret generated on first run and persisted (user secrets of the AppHost), unless configured.</summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedParameter(this IDistributedApplicationBuilder builder, string name, GenerateParameterDefault generate)
        => builder.AddResource(new ParameterResource(name, secret: true, generate));

    /// <summary>Aspire's default password parameter: <c>{resourceName}-password</c>, 22+ chars, persisted.</summary>
    internal static IResourceBuilder<ParameterResource> AddDefaultPassword(this IDistributedApplicationBuilder builder, string resourceName, bool special = true)
        => builder.AddGeneratedParameter($"{resourceName}-password", new GenerateParameterDefault { MinLength = 22, Special = special });
}
