using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

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

    /// <summary>A record as the API returns it: its JSON form with the money fields null unless <paramref name="visible"/>.</summary>
    public static MaskedRecord Record(PfaRecord record, bool visible) => new(record, visible);

    /// <summary>
    /// <see cref="PfaJson.Options"/> with the money fields of <see cref="PfaRecord"/> written as null: masking as a
    /// serialization contract, so a masked record is written straight from the record, without a JSON tree per row.
    /// </summary>
    public static readonly JsonSerializerOptions MoneyHiddenOptions = new(PfaJson.Options)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { HideMoney } },
    };

    private static void HideMoney(JsonTypeInfo info)
    {
        if (info.Type != typeof(PfaRecord)) return;
        foreach (var property in info.Properties.Where(p => IsFinancial(p.Name)))
            property.CustomConverter = HiddenAmount.Instance;
    }

    /// <summary>A money amount written as null (these options only write: a masked record is never read back).</summary>
    private sealed class HiddenAmount : JsonConverter<decimal>
    {
        public static readonly HiddenAmount Instance = new();
        public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("A hidden amount is written, never read.");
        public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNullValue();
    }

    /// <summary>A money figure, or null when hidden.</summary>
    public static decimal? Amount(decimal value, bool visible) => visible ? value : null;
    public static decimal? Amount(decimal? value, bool visible) => visible ? value : null;
}

/// <summary>
/// A PFA record on its way out of the API: written as the record's JSON form (<see cref="PfaJson"/>), with the money fields
/// null when <see cref="MoneyVisible"/> is false (<see cref="FinancialMask"/>). Response-only: clients read the record's own
/// shape (a masked amount is null), so there is nothing to read one back into.
/// </summary>
[JsonConverter(typeof(MaskedRecordConverter))]
public readonly record struct MaskedRecord(PfaRecord Record, bool MoneyVisible);

internal sealed class MaskedRecordConverter : JsonConverter<MaskedRecord>
{
    public override MaskedRecord Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("A masked record is a response shape; read it as a PFA record.");

    public override void Write(Utf8JsonWriter writer, MaskedRecord value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.Record, value.MoneyVisible ? PfaJson.Options : FinancialMask.MoneyHiddenOptions);
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
