using Microsoft.Extensions.Configuration;

namespace Pfa.AppHost.Hosting;

public static class HostPorts
{
    /// <summary>
    /// The documented default host port of a data store (README: "What starts where"), overridable with
    /// <c>AppHost:Ports:&lt;resource&gt;</c>; <c>0</c> lets DCP pick one (tests randomize ports anyway).
    /// </summary>
    public static int? HostPort(this IDistributedApplicationBuilder builder, string resource, int defaultPort) =>
        builder.Configuration.GetValue($"AppHost:Ports:{resource}", defaultPort) is var port and > 0 ? port : null;
}
