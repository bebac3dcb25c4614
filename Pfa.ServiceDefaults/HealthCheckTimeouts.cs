using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pfa.ServiceDefaults;

/// <summary>
/// Every health check without its own timeout (Aspire's PostgreSql and Redis checks have none) gets a short one, so
/// <c>/health</c> answers "unhealthy" within a few seconds when a store does not answer instead of hanging with it.
/// </summary>
public static class HealthCheckTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(2.5);

    public static IServiceCollection AddHealthCheckTimeouts(this IServiceCollection services) =>
        // PostConfigure: runs after every integration registered its check, whatever the order of the Add calls.
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
                if (registration.Timeout <= TimeSpan.Zero || registration.Timeout == Timeout.InfiniteTimeSpan)
                    registration.Timeout = Default;
        });
}
