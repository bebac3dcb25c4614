using System.Globalization;
using Pfa.Web.Api;

namespace Pfa.Web.Components.Plan;

/// <summary>Formatting and comparisons for the KPI board (one culture, so every user reads the same figures).</summary>
public static class KpiFormat
{
    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");

    public static string Money(decimal value) =>
        (value < 0 ? "−" : "") + "$" + Math.Abs(Math.Round(value, 0, MidpointRounding.AwayFromZero)).ToString("#,0", Culture);

    /// <summary>Axis form: $950, $12k, $3.4M.</summary>
    public static string Compact(decimal value)
    {
        var a = Math.Abs(value);
        var text = a >= 1_000_000 ? (a / 1_000_000).ToString("0.#", Culture) + "M" : a >= 1_000 ? (a / 1_000).ToString("0.#", Culture) + "k" : a.ToString("0", Culture);
        return (value < 0 ? "−" : "") + "$" + text;
    }

    public static string SignedMoney(decimal value) => value switch
    {
        > 0 => "+" + Money(value),
        _ => Money(value),
    };

    public static string Percent(decimal? value) => value is { } v ? (v > 0 ? "+" : v < 0 ? "−" : "") + Math.Abs(v).ToString("0.0", Culture) + "%" : "—";

    /// <summary>Over plan is bad (red), under plan is good (green).</summary>
    public static string VarianceClass(decimal variance) => variance switch
    {
        > 0 => "kpi-over",
        < 0 => "kpi-under",
        _ => "kpi-even",
    };

    public enum Scope { Total, Rental, Purchase }

    public static KpiFigures Of(this KpiResult result, Scope scope) => scope switch
    {
        Scope.Rental => result.Rental,
        Scope.Purchase => result.Purchase,
        _ => result.Total,
    };

    /// <summary>What my drafts change in a figure; null when there is nothing to compare.</summary>
    public static decimal? DraftImpact(KpiResult? committed, KpiResult? withDrafts, Scope scope, Func<KpiFigures, decimal> figure) =>
        committed is null || withDrafts is null ? null : figure(withDrafts.Of(scope)) - figure(committed.Of(scope));

    /// <summary>
    /// The folded KPI board's one line: committed total forecast against plan, and what my drafts change. Without financial
    /// visibility the line count only (the API sends no amounts).
    /// </summary>
    public static string Summary(KpiResult? committed, KpiResult? withDrafts, bool amounts)
    {
        if (committed is null) return "";
        var lines = Plural(committed.Total.Lines, "line");
        if (!amounts) return lines;
        var t = committed.Total;
        var text = $"{lines} · forecast {Money(t.Forecast)} · plan {Money(t.Plan)} · variance {SignedMoney(t.Variance)} ({Percent(t.VariancePercent)})";
        return DraftImpact(committed, withDrafts, Scope.Total, f => f.Forecast) is { } impact && impact != 0
            ? text + $" · my drafts {SignedMoney(impact)}"
            : text;
    }

    /// <summary>"1 line", "2 lines", "1,204 lines".</summary>
    public static string Plural(long count, string noun) => $"{count.ToString("#,0", Culture)} {noun}{(count == 1 ? "" : "s")}";
}
