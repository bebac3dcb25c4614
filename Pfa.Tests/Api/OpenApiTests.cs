using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>The OpenAPI document must describe every route the API maps, with a summary, a success schema and problem responses.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OpenApiTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task Every_api_route_is_documented_with_summary_schemas_and_problem_responses()
    {
        var host = ApiHost.For(infra);
        var doc = JsonNode.Parse(await host.Factory.CreateClient().GetStringAsync("/openapi/v1.json", Http.Ct))!;
        var routes = host.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Path: Path(e.RoutePattern), Method: m.ToLowerInvariant())))
            .Distinct().ToList();
        Assert.True(routes.Count >= 15, $"only {routes.Count} routes found");

        var problems = new List<string>();
        foreach (var (path, method) in routes)
        {
            var op = doc["paths"]?[path]?[method];
            if (op is null) { problems.Add($"{method} {path}: missing"); continue; }
            if (string.IsNullOrWhiteSpace(op["summary"]?.GetValue<string>())) problems.Add($"{method} {path}: no summary");
            var responses = op["responses"]!.AsObject();
            var success = responses.FirstOrDefault(r => r.Key.StartsWith('2'));
            if (success.Value is null) problems.Add($"{method} {path}: no success response");
            else if (success.Value["content"] is not JsonObject content || content.Count == 0) problems.Add($"{method} {path}: success has no content schema");
            foreach (var status in new[] { "401", "429" })
                if (responses[status]?["content"]?["application/problem+json"] is null) problems.Add($"{method} {path}: no {status} problem");
            if (method is "post" or "put" && op["requestBody"] is null && !path.EndsWith("/trigger", StringComparison.Ordinal)
                && !path.EndsWith("/commit", StringComparison.Ordinal) && !path.Contains("/undo", StringComparison.Ordinal) && !path.Contains("/redo", StringComparison.Ordinal))
                problems.Add($"{method} {path}: no request body schema");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task A_masked_record_is_documented_as_the_record_with_nullable_money()
    {
        var host = ApiHost.For(infra);
        var doc = JsonNode.Parse(await host.Factory.CreateClient().GetStringAsync("/openapi/v1.json", Http.Ct))!;
        var schemas = doc["components"]!["schemas"]!;
        JsonNode Resolve(JsonNode s) => s["$ref"] is { } r ? schemas[((string)r!).Split('/')[^1]]! : s;
        var record = Resolve(schemas["PfaRowDto"]!["properties"]!["record"]!)["properties"]!.AsObject();
        Assert.Contains("forecastEnd", record.Select(p => p.Key));
        Assert.Contains("pfaId", record.Select(p => p.Key));
        Assert.Contains("null", record["monthlyRate"]!["type"]!.AsArray().Select(t => (string?)t));
        Assert.Contains("null", record["purchasePrice"]!["type"]!.AsArray().Select(t => (string?)t));
        Assert.DoesNotContain("moneyVisible", record.Select(p => p.Key));
    }

    private static string Path(RoutePattern pattern) => "/" + string.Join('/', pattern.PathSegments.Select(s =>
        string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart l => l.Content,
            RoutePatternParameterPart q => "{" + q.Name + "}",
            _ => "",
        }))));
}
