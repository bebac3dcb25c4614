using Aspire.Hosting.ApplicationModel;

namespace Pfa.AppHost.Hosting;

/// <summary>
/// WithReference also gives each consumer the source's connection properties (<c>PFADB_HOST</c>, <c>CACHE_PASSWORD</c>, …).
/// The stock ones point at the container's bindings and password, which a managed Azure service does not have, so in
/// publish mode a last environment callback on every consumer swaps them for the Azure values (or drops them).
/// The connection string itself (<c>ConnectionStrings__x = {x.connectionString}</c>) is left as it is.
/// </summary>
internal static class PublishedConnectionProperties
{
    private const string ConnectionStringsPrefix = "ConnectionStrings__";

    public static void Replace(IDistributedApplicationBuilder builder, IResourceWithConnectionString source,
        Func<IEnumerable<KeyValuePair<string, ReferenceExpression>>> published)
    {
        // At start the model is complete; in publish mode that is before the manifest is written.
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            Apply(e.Model, source, published);
            return Task.CompletedTask;
        });
    }

    /// <summary>The same, for a caller already inside <see cref="BeforeStartEvent"/>.</summary>
    public static void Apply(DistributedApplicationModel model, IResourceWithConnectionString source,
        Func<IEnumerable<KeyValuePair<string, ReferenceExpression>>> published)
    {
        foreach (var consumer in model.Resources.OfType<IResourceWithEnvironment>())
        {
            consumer.Annotations.Add(new EnvironmentCallbackAnnotation(context => Swap(context.EnvironmentVariables, source, published)));
        }
    }

    private static void Swap(Dictionary<string, object> environment, IResourceWithConnectionString source,
        Func<IEnumerable<KeyValuePair<string, ReferenceExpression>>> published)
    {
        var connectionNames = environment
            .Where(e => e.Value is ConnectionStringReference r && r.Resource == source && e.Key.StartsWith(ConnectionStringsPrefix, StringComparison.Ordinal))
            .Select(e => e.Key[ConnectionStringsPrefix.Length..]).ToList();
        foreach (var connectionName in connectionNames)
        {
            var prefix = $"{EncodeName(connectionName)}_";
            foreach (var stock in source.GetConnectionProperties()) environment.Remove(prefix + stock.Key.ToUpperInvariant());
            foreach (var (name, value) in published()) environment[prefix + name.ToUpperInvariant()] = value;
        }
    }

    /// <summary>Aspire's prefix rule (its encoder is internal): upper case, anything but letters and digits becomes '_'.</summary>
    private static string EncodeName(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_'));
}
