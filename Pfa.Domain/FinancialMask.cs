using System.Text.Json.Nodes;

namespace Pfa.Domain;

/// <summary>
/// The financial visibility rule in one place: which fields of a PFA line are money, and how a JSON view of lines is
/// masked for a caller without the ViewFinancials permission (the value becomes null, the key stays so clients see
/// "hidden", not "absent"). Every read path that carries a rate, a price or a cost goes through here or returns null
/// cost figures itself; writes and sorts on these fields are refused (<see cref="IsFinancial"/>).
/// </summary>
public static class FinancialMask
{
    /// <summary>Money fields of <see cref="PfaRecord"/> (JSON names).</summary>
    public static readonly IReadOnlyList<string> Fields = ["monthlyRate", "purchasePrice"];

    public static bool IsFinancial(string field) => Fields.Contains(field, StringComparer.OrdinalIgnoreCase);

    /// <summary>Nulls the money fields present in <paramref name="json"/> (in place) unless <paramref name="visible"/>.</summary>
    public static JsonObject? Apply(JsonObject? json, bool visible)
    {
        if (visible || json is null) return json;
        foreach (var key in json.Select(p => p.Key).Where(IsFinancial).ToList()) json[key] = null;
        return json;
    }

    /// <summary>A record's JSON form, masked when needed (the API returns records as JSON so a hidden figure can be null).</summary>
    public static JsonObject Record(PfaRecord record, bool visible) => Apply(PfaJson.ToJson(record), visible)!;

    /// <summary>A money figure, or null when hidden.</summary>
    public static decimal? Amount(decimal value, bool visible) => visible ? value : null;
    public static decimal? Amount(decimal? value, bool visible) => visible ? value : null;
}

/// <summary>Password rules for user-chosen passwords (the change-password endpoint): errors keyed by request field.</summary>
public static class PasswordPolicy
{
    public const int MinLength = 12;

    public static Dictionary<string, string[]> Validate(string username, string? newPassword, bool sameAsCurrent, string field = "newPassword")
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(newPassword)) errors[field] = ["Required."];
        else if (newPassword.Length < MinLength) errors[field] = [$"At least {MinLength} characters."];
        else if (string.Equals(newPassword.Trim(), username, StringComparison.OrdinalIgnoreCase)) errors[field] = ["Must not be the user name."];
        else if (sameAsCurrent) errors[field] = ["Must differ from the current password."];
        return errors;
    }

    /// <summary>A temporary password for invitations and resets: 20 characters from an unambiguous alphabet.</summary>
    public static string Generate()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        return System.Security.Cryptography.RandomNumberGenerator.GetString(alphabet, 20);
    }
}
