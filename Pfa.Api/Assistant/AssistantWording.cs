using System.Globalization;
using Pfa.Domain;

namespace Pfa.Api.Assistant;

/// <summary>
/// The validated plan in words, written by us (not by the model), so what the user reads is what runs:
/// "Lines where Category is 02036 or 14500 and Forecast end is on or after 2027-07-01".
/// </summary>
public static class AssistantWording
{
    public static string Describe(AssistantPlan plan)
    {
        var where = Conditions(plan.Filter);
        var lines = where.Count == 0 ? "all lines" : "lines where " + string.Join(" and ", where);
        return plan.Kind switch
        {
            "lines" => Capitalise(lines),
            "totals" when plan.GroupBy is { } g => $"Plan, forecast and actual cost of {lines} by {Label(g)}, committed and with your drafts",
            "totals" => $"Plan, forecast and actual cost of {lines}, committed and with your drafts",
            "bulkEdit" => $"{Edit(plan.Edit!)} on {lines} (a proposal: nothing is saved until you confirm)",
            _ => "Not a question the assistant can answer",
        };
    }

    private static List<string> Conditions(AssistantFilter? f)
    {
        var c = new List<string>();
        if (f is null) return c;
        void Any(string key, string[]? values)
        {
            if (values is { Length: > 0 }) c.Add($"{Label(key)} is {string.Join(" or ", values)}");
        }
        Any("category", f.Category);
        Any("class", f.Class);
        Any("source", f.Source);
        Any("dor", f.Dor);
        Any("areaSilo", f.AreaSilo);
        if (f.Status is { Length: > 0 }) c.Add($"Status is {string.Join(" or ", f.Status)}");
        void Range(string key, DateOnly? from, DateOnly? to)
        {
            if (from is { } a && to is { } b) c.Add($"{Label(key)} is between {Day(a)} and {Day(b)}");
            else if (from is { } x) c.Add($"{Label(key)} is on or after {Day(x)}");
            else if (to is { } y) c.Add($"{Label(key)} is on or before {Day(y)}");
        }
        Range("forecastStart", f.ForecastStartFrom, f.ForecastStartTo);
        Range("forecastEnd", f.ForecastEndFrom, f.ForecastEndTo);
        if (!string.IsNullOrWhiteSpace(f.Search)) c.Add($"the text contains \"{f.Search}\"");
        if (f.ChangedOnly == true) c.Add("you have a draft");
        return c;
    }

    private static string Edit(AssistantEdit e) => e.Operation switch
    {
        "ShiftForecast" when e.Months is { } m and not 0 => $"Shift the forecast by {Signed(m)} {(Math.Abs(m) == 1 ? "month" : "months")}",
        "ShiftForecast" => $"Shift the forecast by {Signed(e.Days ?? 0)} {(Math.Abs(e.Days ?? 0) == 1 ? "day" : "days")}",
        "SetForecastDates" => "Set the forecast " + string.Join(" and ",
            new[] { e.Start is { } s ? $"start to {Day(s)}" : null, e.End is { } n ? $"end to {Day(n)}" : null }.OfType<string>()),
        "SetDuration" => $"Set the rental duration to {e.Days} {(e.Days == 1 ? "day" : "days")}",
        "SetRate" => $"Set {Label("monthlyRate")} to {e.Amount?.ToString("N2", CultureInfo.InvariantCulture)}",
        "SetPrice" => $"Set {Label("purchasePrice")} to {e.Amount?.ToString("N2", CultureInfo.InvariantCulture)}",
        "SetSource" => $"Set Source to {e.Value}",
        "SetDor" => $"Set DOR to {e.Value}",
        "SetCategory" => $"Set Category to {e.Value}",
        "Discontinue" => "Discontinue",
        "ResetToPlan" => "Reset the forecast to the plan",
        _ => e.Operation,
    };

    /// <summary>The grid's header for a field key (one naming everywhere).</summary>
    private static string Label(string key) => PfaColumns.All.FirstOrDefault(c => c.Key == key)?.Label ?? key;
    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    private static string Signed(int n) => n > 0 ? "+" + n : n.ToString(CultureInfo.InvariantCulture);
    private static string Capitalise(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
