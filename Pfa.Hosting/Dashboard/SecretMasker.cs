using System.Text.RegularExpressions;

namespace Pfa.Hosting.Dashboard;

/// <summary>
/// Masks secrets in environment variables before they leave the AppHost: whole values of secret-looking names, and
/// every known secret (parameters, generated keys), connection-string password and URI password inside other values.
/// </summary>
internal sealed partial class SecretMasker
{
    private readonly string[] _secrets;

    public SecretMasker(IEnumerable<string> secrets) =>
        // Longest first, so a secret that contains another is replaced whole; URI-escaped forms too (PFADB_URI).
        _secrets = secrets.Where(s => s.Length >= 6).SelectMany(s => new[] { s, Uri.EscapeDataString(s) }).Distinct()
            .OrderByDescending(s => s.Length).ToArray();

    public (string Value, bool IsSecret) Mask(string name, string value)
    {
        if (name.Length > 0 && SecretName().IsMatch(name)) return (ResourceServiceContract.MaskedValue, true);
        var masked = value;
        foreach (var secret in _secrets) masked = masked.Replace(secret, ResourceServiceContract.MaskedValue, StringComparison.Ordinal);
        masked = ConnectionStringPassword().Replace(masked, "$1" + ResourceServiceContract.MaskedValue);
        masked = UriPassword().Replace(masked, "$1" + ResourceServiceContract.MaskedValue + "@");
        return (masked, masked != value);
    }

    // PFADB_PASSWORD, Jwt__Key, DASHBOARD__OTLP__PRIMARYAPIKEY, …BROWSERTOKEN, client secrets; not KEYS-like words inside others.
    [GeneratedRegex(@"PASSWORD|PASSWD|PWD|SECRET|TOKEN|APIKEY|API_KEY|CREDENTIAL|(^|_)KEY($|_)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?<=^|[;,\s])((?:password|pwd)\s*=\s*)(?:""[^""]*""|'[^']*'|[^;,]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"([a-z][a-z0-9+.\-]*://[^:/@\s]*:)(?!\*{8}@)[^@/\s]+@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UriPassword();
}
