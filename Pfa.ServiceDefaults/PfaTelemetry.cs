namespace Microsoft.Extensions.Hosting;

/// <summary>Names of our own ActivitySources and Meters, registered once with OpenTelemetry here.</summary>
public static class PfaTelemetry
{
    public const string Api = "Pfa.Api";
    public const string Sync = "Pfa.Sync";
    public const string WriteBack = "Pfa.WriteBack";
    public const string Pems = "Pfa.Pems";
    public const string Migrations = "Pfa.Migrations";
    public const string Auth = "Pfa.Auth";

    public static readonly string[] ActivitySourceNames = [Api, Sync, WriteBack, Pems, Migrations];
    public static readonly string[] MeterNames = [Api, Sync, WriteBack, Pems, Auth];
}
