using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pfa.ServiceDefaults;

/// <summary>
/// How long a check may take and what its failure means for <c>/health</c>:
/// <list type="bullet">
/// <item>Every check without its own timeout (Aspire's PostgreSql and Redis checks have none) gets a short one, so
/// <c>/health</c> answers "unhealthy" within a few seconds when a store does not answer instead of hanging with it.</item>
/// <item>The cache is an accelerator: without Redis every service still answers correctly (reads fall back to
/// PostgreSQL, events degrade), so its failure reports <c>Degraded</c> (HTTP 200, shown in the dashboard) and does not take
/// a replica out of the load balancer. PostgreSQL down stays <c>Unhealthy</c> (503).</item>
/// </list>
/// </summary>
public static class HealthCheckPolicy
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2.5);

    /// <summary>The name Aspire.StackExchange.Redis registers its check under.</summary>
    public const string CacheCheck = "StackExchange.Redis";

    public static IServiceCollection AddHealthCheckPolicy(this IServiceCollection services) =>
        // PostConfigure: runs after every integration registered its check, whatever the order of the Add calls.
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                if (registration.Timeout <= TimeSpan.Zero || registration.Timeout == System.Threading.Timeout.InfiniteTimeSpan)
                    registration.Timeout = Timeout;
                if (registration.Name == CacheCheck)
                    registration.FailureStatus = HealthStatus.Degraded;
            }
        });
}
