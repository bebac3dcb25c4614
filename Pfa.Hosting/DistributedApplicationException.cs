namespace Pfa.Hosting;

/// <summary>The application could not start or a resource failed; the message names the resource and the likely fix.</summary>
public sealed class DistributedApplicationException(string message, Exception? inner = null) : Exception(message, inner);
