namespace Pfa.Pems;

/// <summary>One PEMS connection: endpoint, tenant, service user and grid ids. Bound from configuration.</summary>
public sealed class PemsClientOptions
{
    public const string SectionName = "Pems";

    /// <summary>Base of the REST services, e.g. https://us1.eam.hxgnsmartcloud.com/axis/restservices/.</summary>
    public Uri? BaseAddress { get; set; }

    public string Tenant { get; set; } = "";
    public string UserName { get; set; } = "";
    public string Password { get; set; } = "";

    /// <summary>Organization header used for calls that are not about one organization (the org list).</summary>
    public string DefaultOrganization { get; set; } = "BECH";

    public string GridName { get; set; } = Grid.CupfagGrid.Name;
    public string GridId { get; set; } = Grid.CupfagGrid.Id;
    public string ScreenName { get; set; } = Uds.Cupfa2Screen.Name;

    /// <summary>Rows asked for per page; PEMS caps a page at 10,000.</summary>
    public int PageSize { get; set; } = Grid.CupfagGrid.MaxPageSize;

    /// <summary>Total attempts per call, first try included.</summary>
    public int MaxAttempts { get; set; } = 4;

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Per attempt, not per call, so a slow first try still leaves room to retry.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
