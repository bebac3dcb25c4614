using System.Text.Json;
using Json.Schema;

namespace Pfa.Tests.Publishing;

/// <summary>The published manifest against Aspire's JSON schema (aspire-8.0.json), read from ../shared when present.</summary>
[Collection(ManifestCollection.Name)]
public sealed class ManifestSchemaTests(ManifestFixture fixture)
{
    [Fact]
    public void Manifest_validates_against_Aspires_schema()
    {
        var dir = PublishingEnvironment.SharedManifestReference;
        if (dir is null) Assert.Skip("../shared/reference/aspire-manifest/aspire-8.0.schema.json is not present on this machine: schema validation skipped (the structural manifest tests still ran).");
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(dir, "aspire-8.0.schema.json")));
        using var manifest = JsonDocument.Parse(File.ReadAllText(fixture.ManifestPath));
        var result = schema.Evaluate(manifest.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = result.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, string.Join("\n", errors.Take(20)));
    }
}
