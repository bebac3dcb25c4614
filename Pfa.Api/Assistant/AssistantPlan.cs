using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Pfa.Api.Assistant;

/// <summary>
/// What the language model may answer: a structured query over the caller's own merged lines, never SQL and never an
/// organization (the route names it). <see cref="Kind"/>: <c>lines</c> (a filtered list), <c>totals</c> (plan / forecast /
/// actual committed and with my drafts, of the filtered lines or rolled up by <see cref="GroupBy"/>), <c>bulkEdit</c> (a
/// proposed edit of the filtered lines, applied only when the user confirms) or <c>unsupported</c>.
/// </summary>
public sealed record AssistantPlan(string Kind, AssistantFilter? Filter = null, string? GroupBy = null, AssistantEdit? Edit = null);

/// <summary>The grid's filters (same names and rules as <c>GET /api/orgs/{org}/pfa</c>).</summary>
public sealed record AssistantFilter(
    string[]? Category = null, string[]? Class = null, string[]? Source = null, string[]? Dor = null, string[]? AreaSilo = null,
    string[]? Status = null, DateOnly? ForecastStartFrom = null, DateOnly? ForecastStartTo = null, DateOnly? ForecastEndFrom = null,
    DateOnly? ForecastEndTo = null, string? Search = null, bool? ChangedOnly = null);

/// <summary>A bulk edit as <c>POST /api/orgs/{org}/drafts/bulk</c> takes it; <see cref="Operation"/> by name.</summary>
public sealed record AssistantEdit(string Operation, int? Days = null, int? Months = null, DateOnly? Start = null, DateOnly? End = null,
    decimal? Amount = null, string? Value = null);

public static partial class AssistantPlanJson
{
    public const string Kinds = "lines, totals, bulkEdit, unsupported";

    /// <summary>Strict: a property the schema does not have (an "organization", a "sql") makes the whole answer unusable.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 8,
    };

    public static readonly JsonElement Schema = AIJsonUtilities.CreateJsonSchema(typeof(AssistantPlan), serializerOptions: Options,
        description: "A query over the user's own PFA lines, or a proposed bulk edit of them.");

    /// <summary>The model's text as a plan, or where and why it cannot be one (<c>plan.organization</c>: not a property).</summary>
    public static (AssistantPlan? Plan, string Path, string? Error) Parse(string text)
    {
        var json = text.Trim();
        // Some models wrap JSON in a fenced block despite the response format.
        if (json.StartsWith("```", StringComparison.Ordinal))
        {
            json = json.Trim('`').TrimStart();
            if (json.StartsWith("json", StringComparison.OrdinalIgnoreCase)) json = json[4..];
        }
        try
        {
            var plan = JsonSerializer.Deserialize<AssistantPlan>(json, Options);
            return plan is null || string.IsNullOrWhiteSpace(plan.Kind) ? (null, "plan.kind", "Missing.") : (plan, "plan", null);
        }
        catch (JsonException e)
        {
            var path = "plan" + (e.Path ?? "$").TrimStart('$');
            // An unknown property is named by the message, not by the path (which stops at its object).
            if (UnknownProperty().Match(e.Message) is { Success: true } m) path += "." + m.Groups[1].Value;
            return (null, path, FirstSentence(e.Message));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("property '([^']+)' could not be mapped")]
    private static partial System.Text.RegularExpressions.Regex UnknownProperty();

    private static string FirstSentence(string message) => message.Split(". ", 2)[0].TrimEnd('.') + ".";
}
