using System.Globalization;

namespace Pfa.Domain;

/// <summary>
/// The field rules every write path shares (single drafts, bulk apply and preview, import, new lines, conflict resolution):
/// money range, text length and characters, enums by name only, dates within 0001-01-01..9999-12-31.
/// </summary>
public static class FieldRules
{
    public const int MaxText = 200;
    public const decimal MaxMoney = 1_000_000_000_000m;
    public static readonly DateOnly MinDate = DateOnly.MinValue;
    public static readonly DateOnly MaxDate = DateOnly.MaxValue;

    /// <summary>Null when the amount is acceptable, else the message.</summary>
    public static string? MoneyError(decimal amount) =>
        amount < 0 ? "Must be zero or more." : amount > MaxMoney ? "Too large." : null;

    /// <summary>Null when the (already trimmed) text is acceptable. Control characters are refused: PostgreSQL rejects NUL in jsonb/text.</summary>
    public static string? TextError(string text) =>
        text.Length > MaxText ? $"At most {MaxText} characters."
        : text.Any(char.IsControl) ? "Control characters are not allowed."
        : null;

    /// <summary>An enum by its name only (case-insensitive): "1" or "Rental,Purchase" are refused.</summary>
    public static bool TryParseName<T>(string? text, out T value) where T : struct, Enum
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        foreach (var name in Enum.GetNames<T>())
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = Enum.Parse<T>(name);
                return true;
            }
        return false;
    }

    /// <summary>A date moved by months then days, or null when it would leave 0001-01-01..9999-12-31.</summary>
    public static DateOnly? Shift(DateOnly date, int months, int days)
    {
        try { return date.AddMonths(months).AddDays(days); }
        catch (ArgumentOutOfRangeException) { return null; }
    }

    public static string Format(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
