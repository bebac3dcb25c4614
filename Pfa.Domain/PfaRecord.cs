namespace Pfa.Domain;

/// <summary>How a line is costed: Rental = duration × monthly rate, Purchase = fixed price.</summary>
public enum PfaSource { Rental, Purchase }

/// <summary>Who pays: BEO overhead pool or the project.</summary>
public enum Dor { BEO, PROJECT }

/// <summary>
/// One PFA line (one unit of equipment). Dates are whole days (<see cref="DateOnly"/>), money is <see cref="decimal"/>.
/// Its JSON form (camelCase, ISO dates, enum names) is what <c>pfa_mirror.data</c> stores; see docs/data-model.md.
/// </summary>
public sealed record PfaRecord
{
    public required string PfaId { get; init; }
    public string? Description { get; init; }
    public string? AreaSilo { get; init; }
    public string? Class { get; init; }
    public string? Category { get; init; }
    public string? CategoryDescription { get; init; }
    public PfaSource Source { get; init; } = PfaSource.Rental;
    public Dor Dor { get; init; } = Dor.PROJECT;
    public bool IsActualized { get; init; }
    public bool IsDiscontinued { get; init; }
    public bool IsFundsTransferable { get; init; }
    public decimal MonthlyRate { get; init; }
    public decimal PurchasePrice { get; init; }
    public string? Manufacturer { get; init; }
    public string? Model { get; init; }
    public DateOnly? OriginalStart { get; init; }
    public DateOnly? OriginalEnd { get; init; }
    public DateOnly? ForecastStart { get; init; }
    public DateOnly? ForecastEnd { get; init; }
    public DateOnly? ActualStart { get; init; }
    public DateOnly? ActualEnd { get; init; }
    public bool HasActuals { get; init; }
    public string? Contract { get; init; }
    public string? Equipment { get; init; }
    public string? PemsVersion { get; init; }
}
