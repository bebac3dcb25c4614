namespace Pfa.Domain;

/// <summary>
/// A category code with its PEMS description (PFS_F_CATDESC): the most common non-empty description of the code in the
/// organization, null when no line carries one. <see cref="Text"/> is how every label shows it ("08850 — TANK FRAC WATER TRAILER").
/// </summary>
public sealed record CategoryLabel(string Code, string? Description)
{
    public string Text => Format(Code, Description);

    public static string Format(string code, string? description) =>
        string.IsNullOrWhiteSpace(description) ? code : $"{code} — {description}";
}
