namespace Pfa.Hosting.Publishing;

/// <summary>Publish mode (<c>--publisher NAME --output-path PATH</c>): writes deployment artifacts and exits.</summary>
internal static class Publisher
{
    public static void Publish(DistributedApplicationBuilder builder)
    {
        var name = builder.ExecutionContext.PublisherName;
        if (!string.Equals(name, "manifest", StringComparison.Ordinal))
        {
            throw new DistributedApplicationException($"Publisher '{name}' is not supported by this AppHost; use '--publisher manifest'.");
        }
        var outputPath = builder.ExecutionContext.OutputPath;
        if (string.IsNullOrWhiteSpace(outputPath))
        {
            throw new DistributedApplicationException("The manifest publisher needs '--output-path <file.json or directory>'.");
        }
        // Customised infrastructure: Pfa.AppHost/infra/{name}.module.bicep replaces the generated module of that name.
        // `--Publishing:SynthesizeInfra true` writes the generated modules there first, for customisation.
        var synthesize = string.Equals(builder.Configuration["Publishing:SynthesizeInfra"], "true", StringComparison.OrdinalIgnoreCase);
        var written = ManifestPublisher.Write(builder.Resources, outputPath, Path.Combine(builder.AppHostDirectory, "infra"), synthesize);
        Console.Out.WriteLine($"Published manifest to: {written}");
    }
}
