using Pfa.Web.Api;

namespace Pfa.Web.Components.Plan;

/// <summary>One bulk edit as the command deck asks for it; the plan board adds the selection (ids or the filter).</summary>
public sealed record DeckCommand(string Operation, int? Days = null, int? Months = null, DateOnly? Start = null, DateOnly? End = null,
    decimal? Amount = null, string? Value = null);

public enum ShiftUnit { Days, Weeks, Months }

/// <summary>
/// The deck's form: which operation and its inputs. <see cref="TryBuild"/> turns it into a command or names what is missing,
/// so neither an apply nor an impact preview is sent for an incomplete form.
/// </summary>
public sealed class DeckForm
{
    public static readonly IReadOnlyList<(string Operation, string Label)> Operations =
    [
        (BulkOps.ShiftForecast, "Shift forecast"),
        (BulkOps.SetForecastDates, "Set forecast dates"),
        (BulkOps.SetDuration, "Set duration"),
        (BulkOps.SetRate, "Set monthly rate"),
        (BulkOps.SetPrice, "Set purchase price"),
        (BulkOps.SetSource, "Set source"),
        (BulkOps.SetDor, "Set DOR"),
        (BulkOps.SetCategory, "Set category"),
        (BulkOps.Discontinue, "Discontinue"),
        (BulkOps.ResetToPlan, "Reset to plan"),
    ];

    public string Operation { get; set; } = BulkOps.ShiftForecast;
    public int Amount { get; set; } = 14;
    public ShiftUnit Unit { get; set; } = ShiftUnit.Days;
    public DateOnly? Start { get; set; }
    public DateOnly? End { get; set; }
    public decimal? Money { get; set; }
    public string? Value { get; set; }

    public static string Label(string operation) => Operations.FirstOrDefault(o => o.Operation == operation).Label ?? operation;

    public bool TryBuild(out DeckCommand command, out string? error)
    {
        command = new DeckCommand(Operation);
        error = null;
        switch (Operation)
        {
            case BulkOps.ShiftForecast:
                var (days, limit) = Unit switch { ShiftUnit.Weeks => (Amount * 7L, 520), ShiftUnit.Months => (Amount, 120), _ => (Amount, 3650) };
                if (Amount == 0 || Math.Abs(Amount) > limit) error = $"A non-zero number of {Unit.ToString().ToLowerInvariant()} within ±{limit}.";
                else command = Unit == ShiftUnit.Months ? command with { Months = Amount } : command with { Days = (int)days };
                break;
            case BulkOps.SetForecastDates:
                if (Start is null && End is null) error = "Give a start, an end or both.";
                else if (Start > End) error = "The end must be on or after the start.";
                else command = command with { Start = Start, End = End };
                break;
            case BulkOps.SetDuration:
                if (Amount is < 1 or > 3650) error = "A duration of 1 to 3650 days.";
                else command = command with { Days = Amount };
                break;
            case BulkOps.SetRate or BulkOps.SetPrice:
                if (Money is null or < 0) error = "An amount of zero or more.";
                else command = command with { Amount = Money };
                break;
            case BulkOps.SetSource or BulkOps.SetDor or BulkOps.SetCategory:
                if (string.IsNullOrWhiteSpace(Value)) error = "Pick a value.";
                else command = command with { Value = Value.Trim() };
                break;
        }
        return error is null;
    }

    /// <summary>The impact line: how many lines change, how many the rules skip, and the forecast cost it moves.</summary>
    /// <summary>"30010, 30020 (actualized, or without forecast dates); 30030 (would leave the years 0001–9999) and 3 more".</summary>
    private static string SkippedText(IReadOnlyList<SkippedLine> named, int total)
    {
        var groups = named.GroupBy(l => l.Reason).Select(g =>
            $"{string.Join(", ", g.Select(l => l.PfaId))} ({(g.Key == "dateOutOfRange" ? "would leave the years 0001–9999" : g.Key)})");
        return string.Join("; ", groups) + (total > named.Count ? $" and {total - named.Count:#,0} more" : "");
    }

    public static string DescribeImpact(BulkPreview p)
    {
        var lines = $"{p.Changing:#,0} of {p.Matched:#,0} {(p.Matched == 1 ? "line" : "lines")} change";
        var skipped = p.Skipped == 0 ? ""
            : p.SkippedLines is { Count: > 0 } named ? $" · {p.Skipped:#,0} skipped: {SkippedText(named, p.Skipped)}"
            : $" · {p.Skipped:#,0} skipped by the rules (e.g. actualized)";
        if (p is not { ForecastImpact: { } impact, ForecastBefore: { } before, ForecastAfter: { } after }) return lines + skipped;
        return $"{lines}{skipped} · forecast {KpiFormat.SignedMoney(impact)} ({KpiFormat.Money(before)} → {KpiFormat.Money(after)})";
    }
}
