using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Pfa.Dashboard.Auth;
using Pfa.Dashboard.Resources;

namespace Pfa.Dashboard.Apis;

/// <summary>Console output as a text file (the Console page's download button), fetched from the resource service.</summary>
public static class ConsoleApi
{
    public const int MaxDownloadLines = 100_000;

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/console/download", DownloadConsole).RequireAuthorization(FrontendAuth.Policy)
            .WithTags("Console").WithSummary("Console lines of one resource (or all, interleaved) as text/plain");
        return app;
    }

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> DownloadConsole(
        ResourceServiceClient client, CancellationToken ct, string? resource = null, string? search = null, int tail = 10_000)
    {
        if (tail is < 1 or > MaxDownloadLines)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tail"] = [$"Between 1 and {MaxDownloadLines}."] });
        if (!client.IsConfigured)
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "No resource service is configured.");
        IReadOnlyList<ConsoleLine> lines;
        try
        {
            lines = await client.GetConsoleAsync(string.IsNullOrEmpty(resource) ? null : resource, tail, ct);
        }
        catch (HttpRequestException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The resource service failed.", detail: e.Message);
        }
        var text = new StringBuilder();
        foreach (var line in lines.Where(l => ConsoleText.Matches(l, search))) text.AppendLine(ConsoleText.Render(line, withResource: string.IsNullOrEmpty(resource)));
        var name = $"{(string.IsNullOrEmpty(resource) ? "all" : resource)}-console-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.txt";
        return TypedResults.File(Encoding.UTF8.GetBytes(text.ToString()), "text/plain; charset=utf-8", name);
    }
}

/// <summary>One place for how a console line is searched and printed (page and download alike).</summary>
public static class ConsoleText
{
    public static bool Matches(ConsoleLine line, string? search) =>
        string.IsNullOrWhiteSpace(search) || line.Text.Contains(search, StringComparison.OrdinalIgnoreCase)
        || line.Resource.Contains(search, StringComparison.OrdinalIgnoreCase);

    public static string Render(ConsoleLine line, bool withResource) =>
        (withResource ? $"[{line.Resource}] " : "")
        + line.Timestamp.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + " "
        + (line.Stream == "stderr" ? "ERR " : "")
        + line.Text;
}
