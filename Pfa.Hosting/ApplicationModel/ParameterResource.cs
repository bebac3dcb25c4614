using System.Security.Cryptography;

namespace Pfa.Hosting.ApplicationModel;

/// <summary>
/// An input of the app model (<c>parameter.v0</c>): a value from configuration <c>Parameters:{name}</c>,
/// or generated once and persisted so it is stable across runs (the data directory depends on it).
/// </summary>
public sealed class ParameterResource(string name, bool secret, GenerateParameterDefault? generate) : Resource(name)
{
    private string? _value;

    public override string Kind => "parameter";
    public bool Secret { get; } = secret;
    public GenerateParameterDefault? Generate { get; } = generate;

    public string Value => _value ?? throw new InvalidOperationException(
        $"Parameter '{Name}' has no value. Set configuration key 'Parameters:{Name}' " +
        $"(environment variable Parameters__{Name}, or user secrets of the AppHost).");

    internal bool HasValue => _value is not null;

    internal void SetValue(string value) => _value = value;
}

/// <summary>Aspire's <c>GenerateParameterDefault</c>: how a missing secret is generated (and what the manifest tells azd).</summary>
public sealed record GenerateParameterDefault
{
    public int MinLength { get; init; } = 22;
    public bool Lower { get; init; } = true;
    public bool Upper { get; init; } = true;
    public bool Numeric { get; init; } = true;
    public bool Special { get; init; } = true;

    public string GenerateValue() => PasswordGenerator.Generate(MinLength, Lower, Upper, Numeric, Special);
}

/// <summary>Aspire's password rules: ≥ 22 chars (~128 bits), all enabled classes present, no ambiguous letters.</summary>
public static class PasswordGenerator
{
    // i, l, o, I, L, O removed: they are misread when a password is copied by hand.
    internal const string LowerChars = "abcdefghjkmnpqrstuvwxyz";
    internal const string UpperChars = "ABCDEFGHJKMNPQRSTUVWXYZ";
    internal const string DigitChars = "0123456789";
    // Only characters that are safe in connection strings, URIs after encoding, and shell-free process arguments.
    internal const string SpecialChars = "-_.{}~()*+!";

    public static string Generate(int minLength = 22, bool lower = true, bool upper = true, bool numeric = true, bool special = true)
    {
        var classes = new List<string>();
        if (lower) classes.Add(LowerChars);
        if (upper) classes.Add(UpperChars);
        if (numeric) classes.Add(DigitChars);
        if (special) classes.Add(SpecialChars);
        if (classes.Count == 0) throw new ArgumentException("At least one character class must be enabled.");

        var length = Math.Max(minLength, classes.Count);
        var chars = new char[length];
        // One of each class first, the rest from the union; then a shuffle so positions carry no information.
        for (var i = 0; i < classes.Count; i++) chars[i] = Pick(classes[i]);
        var all = string.Concat(classes);
        for (var i = classes.Count; i < length; i++) chars[i] = Pick(all);
        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }

    private static char Pick(string set) => set[RandomNumberGenerator.GetInt32(set.Length)];
}
