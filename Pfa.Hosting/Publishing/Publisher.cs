namespace Pfa.Hosting.Publishing;

/// <summary>Publish mode (<c>--publisher NAME --output-path PATH</c>): writes deployment artifacts and exits.</summary>
internal static class Publisher
{
    public static void Publish(DistributedApplicationBuilder builder)
    {
        var name = builder.ExecutionContext.PublisherName;
        throw new DistributedApplicationException($"Publisher '{name}' is not supported by this AppHost yet.");
    }
}
