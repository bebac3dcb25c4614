using Pfa.Pems;
using Pfa.ServiceDefaults;

namespace Pfa.Api.Infrastructure;

/// <summary>PEMS could not be asked: not configured, unreachable, or it failed. The API answers 503 with Retry-After.</summary>
public sealed class PemsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The API's view of PEMS: the organization list, through the same default connection the worker uses
/// (<see cref="PemsDefaultConnection"/>), but failing fast: an admin is waiting, the worker is not.
/// </summary>
public sealed class PemsDirectory(PemsClientFactory factory, IConfiguration config)
{
    private readonly Lazy<PemsClient?> _client = new(() =>
    {
        PemsClientOptions options;
        try { options = PemsDefaultConnection.FromConfiguration(config, PfaResources.PemsSimulator); }
        catch (InvalidOperationException) { return null; } // no endpoint configured
        options.MaxAttempts = 2;
        options.BaseDelay = TimeSpan.FromMilliseconds(200);
        options.MaxDelay = TimeSpan.FromSeconds(1);
        options.AttemptTimeout = TimeSpan.FromSeconds(config.GetValue("Pems:ApiAttemptTimeoutSeconds", 8));
        return factory.Create(options);
    });

    public async Task<IReadOnlyList<PemsOrganization>> OrganizationsAsync(CancellationToken ct)
    {
        var client = _client.Value ?? throw new PemsUnavailableException("No PEMS connection is configured for the API.");
        try { return await client.GetOrganizationsAsync(ct); }
        catch (PemsException e) { throw new PemsUnavailableException($"PEMS did not answer the organization list ({e.Kind}).", e); }
        catch (HttpRequestException e) { throw new PemsUnavailableException("PEMS is unreachable.", e); }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested) { throw new PemsUnavailableException("PEMS timed out.", e); }
    }
}
