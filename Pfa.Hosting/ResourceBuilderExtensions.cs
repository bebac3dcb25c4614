using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

/// <summary>Aspire's general-purpose resource builder verbs.</summary>
public static class ResourceBuilderExtensions
{
    /// <summary>Injects the source's connection string as <c>ConnectionStrings__{name}</c> plus its connection properties.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> source, string? connectionName = null)
        where T : IResourceWithEnvironment
    {
        builder.Resource.Annotations.Add(new ReferenceAnnotation(source.Resource, connectionName));
        return builder;
    }

    /// <summary>Injects service-discovery variables (<c>services__{name}__http__0</c>, <c>{NAME}_HTTP</c>) for every endpoint of the project.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<ProjectResource> source)
        where T : IResourceWithEnvironment
    {
        builder.Resource.Annotations.Add(new ReferenceAnnotation(source.Resource));
        return builder;
    }

    /// <summary>Do not start until <paramref name="dependency"/> is running and, if it has health checks, healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency) where T : IResource
    {
        if (ReferenceEquals(builder.Resource, dependency.Resource)) throw new InvalidOperationException($"Resource '{builder.Resource.Name}' cannot wait for itself.");
        if (dependency.Resource is IResourceWithLifetime) builder.Resource.Annotations.Add(new WaitAnnotation(dependency.Resource));
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string value) where T : IResourceWithEnvironment
    {
        builder.Resource.Annotations.Add(new EnvironmentAnnotation(name, () => value) { ManifestValue = value });
        return builder;
    }

    /// <summary>The parameter's value; published as <c>{parameter.value}</c>, so a secret never appears in the manifest.</summary>
    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IResourceBuilder<ParameterResource> parameter) where T : IResourceWithEnvironment
    {
        builder.Resource.Annotations.Add(new EnvironmentAnnotation(name, () => parameter.Resource.Value) { ManifestValue = $"{{{parameter.Resource.Name}.value}}" });
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, Func<string> value) where T : IResourceWithEnvironment
    {
        builder.Resource.Annotations.Add(new EnvironmentAnnotation(name, value));
        return builder;
    }

    /// <summary>Healthy when <c>GET {path}</c> on the endpoint returns <paramref name="statusCode"/>.</summary>
    public static IResourceBuilder<T> WithHttpHealthCheck<T>(this IResourceBuilder<T> builder, string path = "/", int statusCode = 200, string? endpointName = null)
        where T : IResourceWithEndpoints
    {
        builder.Resource.Annotations.Add(new HttpHealthCheckAnnotation(path, statusCode, endpointName));
        return builder;
    }

    /// <summary>Marks the http endpoints as reachable from outside the environment (the public ingress on ACA).</summary>
    public static IResourceBuilder<T> WithExternalHttpEndpoints<T>(this IResourceBuilder<T> builder) where T : IResourceWithEndpoints
    {
        foreach (var endpoint in builder.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.IsHttp)) endpoint.IsExternal = true;
        return builder;
    }

    internal static IEnumerable<IResource> WaitDependencies(this IResource resource) =>
        resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Dependency);

    internal static IEnumerable<IResource> ReferencedResources(this IResource resource) =>
        resource.Annotations.OfType<ReferenceAnnotation>().Select(r => r.Target);
}
