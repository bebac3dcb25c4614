using System.Net;

namespace Pfa.Web.Api;

/// <summary>The API answered with a problem (or could not be reached: <see cref="Status"/> 0).</summary>
public sealed class PfaApiException(int status, string message, IReadOnlyDictionary<string, string[]>? errors = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int Status { get; } = status;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();
    public bool IsUnreachable => Status == 0;
    public bool IsUnauthorized => Status == (int)HttpStatusCode.Unauthorized;
    public bool IsThrottled => Status == (int)HttpStatusCode.TooManyRequests;
    /// <summary>The API's <c>Retry-After</c>, when it sent one (429, 503).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>One line for a snackbar or an alert.</summary>
    public string Describe() => IsUnreachable
        ? "The PFA service cannot be reached. Your input is kept; try again in a moment."
        : Errors.Count == 0 ? Message : $"{Message} {string.Join(" ", Errors.SelectMany(e => e.Value.Select(v => $"{Pfa.Domain.PfaColumns.LabelOf(e.Key)}: {v}")))}";
}
