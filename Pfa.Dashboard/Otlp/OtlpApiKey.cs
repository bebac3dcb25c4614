using System.Security.Cryptography;
using System.Text;

namespace Pfa.Dashboard.Otlp;

/// <summary>The OTLP key check (header <c>x-otlp-api-key</c>, primary or secondary key), shared by gRPC and HTTP ingestion.</summary>
public sealed class OtlpApiKey(DashboardOptions options)
{
    public const string HeaderName = "x-otlp-api-key";

    public bool IsAuthorized(HttpContext context)
    {
        if (options.OtlpAuthMode == OtlpAuthMode.Unsecured) return true;
        var presented = context.Request.Headers[HeaderName].ToString();
        return presented.Length > 0 && (Matches(presented, options.OtlpPrimaryApiKey) || Matches(presented, options.OtlpSecondaryApiKey));
    }

    private static bool Matches(string presented, string? expected) =>
        expected is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}
