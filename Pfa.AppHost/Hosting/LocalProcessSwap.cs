using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// Puts a local-process stand-in in the place of a stock container resource, keeping everything that refers to the
/// container working: the stand-in has the same name and the container's own endpoint annotations (so the stock
/// connection-string expressions, which point at those endpoints, resolve to the process's ports), and at start every
/// wait and relationship that named the container names the stand-in instead.
/// </summary>
internal static class LocalProcessSwap
{
    /// <summary>Hands the container's endpoints to the stand-in: proxied by DCP, the process listens on a port DCP picks.</summary>
    public static void ShareEndpoints(IResource container, ExecutableResource local)
    {
        foreach (var endpoint in container.Annotations.OfType<EndpointAnnotation>())
        {
            endpoint.TargetPort = null; // the container's fixed inside port would collide between runs on one machine
            endpoint.IsProxied = true;
            local.Annotations.Add(endpoint);
        }
    }

    /// <summary>
    /// Swaps the stand-in into the model just before start, at the container's position. Done then, not when the
    /// extension is called, so it covers what the AppHost adds afterwards (databases, WaitFor, references).
    /// </summary>
    public static void ReplaceAtStart(IDistributedApplicationBuilder builder, IResource container, ExecutableResource local)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var resources = e.Model.Resources;
            var index = resources.IndexOf(container);
            if (index < 0) return Task.CompletedTask; // removed by the caller (e.g. a test that needs only some resources)
            resources[index] = local;

            foreach (var resource in resources)
            {
                Redirect<WaitAnnotation>(resource, container, w => new WaitAnnotation(local, w.WaitType, w.ExitCode) { WaitBehavior = w.WaitBehavior });
                Redirect<ResourceRelationshipAnnotation>(resource, container, r => new ResourceRelationshipAnnotation(local, r.Type));
            }
            return Task.CompletedTask;
        });
    }

    private static void Redirect<T>(IResource resource, IResource from, Func<T, T> redirect) where T : class, IResourceAnnotation
    {
        var stale = resource.Annotations.OfType<T>().Where(a => ReferencedResource(a) == from).ToList();
        foreach (var annotation in stale)
        {
            resource.Annotations.Remove(annotation);
            resource.Annotations.Add(redirect(annotation));
        }
    }

    private static IResource? ReferencedResource(IResourceAnnotation annotation) => annotation switch
    {
        WaitAnnotation w => w.Resource,
        ResourceRelationshipAnnotation r => r.Resource,
        _ => null,
    };
}
