using System.Net;
using System.Text.Json.Serialization;

namespace Pfa.Pems;

/// <summary>One entry of PEMS's ErrorAlert / WarningAlert / InfoAlert lists.</summary>
public sealed record PemsAlert(
    [property: JsonPropertyName("Name")] string? Name,
    [property: JsonPropertyName("Message")] string? Message);

/// <summary>Why a PEMS call failed; decides whether a retry can help.</summary>
public enum PemsFailureKind
{
    /// <summary>PEMS answered (usually HTTP 200) with a non-empty ErrorAlert: a business error, final.</summary>
    ErrorAlert,
    Unauthorized,
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    Network,
    /// <summary>The body was truncated or not the JSON PEMS promises.</summary>
    MalformedResponse,
}

/// <summary>A PEMS call that failed for good, carrying PEMS's own message when it gave one.</summary>
public sealed class PemsException : Exception
{
    public PemsException(
        string message,
        PemsFailureKind kind,
        HttpStatusCode? statusCode = null,
        IReadOnlyList<PemsAlert>? alerts = null,
        int attempts = 1,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        Alerts = alerts ?? [];
        Attempts = attempts;
    }

    public PemsFailureKind Kind { get; }
    public HttpStatusCode? StatusCode { get; }
    public IReadOnlyList<PemsAlert> Alerts { get; }

    /// <summary>How many HTTP attempts were made before giving up.</summary>
    public int Attempts { get; }

    /// <summary>PEMS's first alert message, the text a user should see.</summary>
    public string? PemsMessage => Alerts.FirstOrDefault(a => !string.IsNullOrWhiteSpace(a.Message))?.Message;

    /// <summary>Transient kinds are retried by <see cref="PemsClient"/>; the rest are final.</summary>
    public bool IsTransient => Kind is PemsFailureKind.RateLimited or PemsFailureKind.ServerError
        or PemsFailureKind.Timeout or PemsFailureKind.Network or PemsFailureKind.MalformedResponse;

    internal PemsException WithAttempts(int attempts) =>
        new(Message, Kind, StatusCode, Alerts, attempts, InnerException);
}
