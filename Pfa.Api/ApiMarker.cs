namespace Pfa.Api;

/// <summary>Marker for <c>WebApplicationFactory&lt;ApiMarker&gt;</c>: several web projects make <c>Program</c> ambiguous in tests.</summary>
public sealed class ApiMarker;
