using Pfa.Web.Api;

namespace Pfa.Web.State;

/// <summary>The organization the user works in (one per circuit), chosen only among their memberships.</summary>
public sealed class OrgSession
{
    private readonly Dictionary<string, GridQuery> _filters = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<Membership> Memberships { get; private set; } = [];
    public Membership? Current { get; private set; }
    public event Action? Changed;

    public bool CanEdit => Current?.CanEdit == true;
    public bool CanCommit => Current?.CanCommit == true;
    /// <summary>Without it the API sends every rate, price and cost as null: the pages hide those figures instead of showing zeros.</summary>
    public bool CanViewFinancials => Current?.CanViewFinancials == true;
    public bool CanImport => Current?.Has("Import") == true;
    public bool CanExport => Current?.Has("Export") == true;

    public void Initialize(IReadOnlyList<Membership> memberships)
    {
        if (Memberships.Count > 0) return;
        Memberships = memberships;
        Current ??= memberships.FirstOrDefault();
    }

    /// <summary>Switches to <paramref name="code"/> if, and only if, the user is a member.</summary>
    public bool Switch(string code)
    {
        var m = Memberships.FirstOrDefault(x => string.Equals(x.Code, code, StringComparison.OrdinalIgnoreCase));
        if (m is null || m == Current) return false;
        Current = m;
        Changed?.Invoke();
        return true;
    }

    /// <summary>Filters are remembered per organization for this session.</summary>
    public GridQuery FilterFor(string org) => _filters.TryGetValue(org, out var q) ? q : new GridQuery();
    public void RememberFilter(string org, GridQuery query)
    {
        _filters[org] = query;
        FilterChanged?.Invoke();
    }

    /// <summary>The plan's filter changed (the chart and timeline follow it).</summary>
    public event Action? FilterChanged;
}
