using Microsoft.Extensions.Options;

namespace Pfa.PemsSimulator;

public static class Extensions
{
    public static IHostApplicationBuilder AddPemsSimulator(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<SimulatorOptions>(builder.Configuration.GetSection(SimulatorOptions.SectionName));
        builder.Services.PostConfigure<SimulatorOptions>(o =>
        {
            if (o.Organizations.Count == 0) o.Organizations = [.. SimulatorOptions.DefaultOrganizations];
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PemsStore>();
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddSingleton<UdsHandler>();
        return builder;
    }

    /// <summary>Faults apply to the PEMS surface only; /health and /admin stay reliable.</summary>
    public static IApplicationBuilder UsePemsFaultInjection(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(AxisApi.BasePath))
                await context.RequestServices.GetRequiredService<FaultInjector>().InvokeAsync(context, _ => next(context));
            else
                await next(context);
        });

    public static bool AdminEnabled(this WebApplication app) =>
        app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value.EnableAdmin;
}
