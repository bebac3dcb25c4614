namespace Pfa.PemsSimulator;

/// <summary>Anchor for WebApplicationFactory: several projects have a top-level Program.</summary>
public sealed class PemsSimulatorMarker;
