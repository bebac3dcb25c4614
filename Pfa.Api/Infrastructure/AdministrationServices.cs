using Microsoft.Extensions.Http.Resilience;
using Pfa.Pems;

namespace Pfa.Api.Infrastructure;

public static class AdministrationServices
{
    /// <summary>System-admin checks, the organization audit and the API's (fail-fast) view of PEMS.</summary>
    public static IHostApplicationBuilder AddPfaAdministration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<AdminAccess>();
#pragma warning disable EXTEXP0001 // PemsClient retries and times attempts itself (as in the worker): no second retry layer
        builder.Services.AddPemsClientFactory().RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<PemsDirectory>();
        return builder;
    }
}
