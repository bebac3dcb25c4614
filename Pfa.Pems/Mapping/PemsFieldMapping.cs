using Pfa.Pems.Grid;

namespace Pfa.Pems.Mapping;

/// <summary>How a raw PEMS cell becomes a typed PFA value.</summary>
public enum PemsValueConversion
{
    /// <summary>Trimmed string; empty becomes null.</summary>
    Text,
    Decimal,
    Integer,
    /// <summary>Whole day (<see cref="DateOnly"/>).</summary>
    Date,
    /// <summary>Instant (<see cref="DateTimeOffset"/>, UTC).</summary>
    Timestamp,
    /// <summary>Y/N, true/false, -1/0 → bool; empty → false.</summary>
    Flag,
    /// <summary>Looked up in <see cref="PemsFieldRule.ValueMap"/> (e.g. RENTAL → Rental); unknown values reject the row.</summary>
    Enum,
}

/// <summary>One PEMS column → one PFA field.</summary>
public sealed class PemsFieldRule
{
    /// <summary>Grid column alias, e.g. pfs_f_startdate.</summary>
    public string Source { get; set; } = "";

    /// <summary>PFA field name, e.g. forecastStart (see <see cref="PfaFieldNames"/>).</summary>
    public string Target { get; set; } = "";

    public PemsValueConversion Conversion { get; set; } = PemsValueConversion.Text;

    /// <summary>An empty or missing value rejects the row.</summary>
    public bool Required { get; set; }

    /// <summary>Raw value used when the cell is empty or missing.</summary>
    public string? Default { get; set; }

    /// <summary>For <see cref="PemsValueConversion.Enum"/>: PEMS spelling → PFA spelling, case-insensitive.</summary>
    public Dictionary<string, string> ValueMap { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The configurable PEMS → PFA field map (bindable from configuration). <see cref="Default"/> is the CUPFAG map
/// built from the alias evidence in pfa-domain.md §3.2.
/// </summary>
public sealed class PemsFieldMapping
{
    public List<PemsFieldRule> Rules { get; set; } = [];

    /// <summary>Accepted DATE formats, tried in order (PEMS locales vary).</summary>
    public List<string> DateFormats { get; set; } = [CupfagGrid.DateFormat, "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.fff", "MM/dd/yyyy", "dd-MMM-yyyy"];

    /// <summary>Accepted DATETIME formats; values are taken as UTC.</summary>
    public List<string> TimestampFormats { get; set; } = [CupfagGrid.DateTimeFormat, "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "MM/dd/yyyy HH:mm"];

    public static PemsFieldMapping Default => new()
    {
        Rules =
        [
            new() { Source = CupfagGrid.PfaId, Target = PfaFieldNames.PfaId, Required = true },
            new() { Source = CupfagGrid.Organization, Target = PfaFieldNames.Organization, Required = true },
            new() { Source = "description", Target = PfaFieldNames.Description },
            new() { Source = "pfs_f_area", Target = PfaFieldNames.AreaSilo },
            new() { Source = "pfs_f_category", Target = PfaFieldNames.Category },
            new() { Source = "pfs_f_catdesc", Target = PfaFieldNames.ForecastCategory },
            new() { Source = "pfs_f_class", Target = PfaFieldNames.Class },
            new()
            {
                Source = "pfs_f_source", Target = PfaFieldNames.Source, Conversion = PemsValueConversion.Enum, Default = "RENTAL",
                ValueMap = new(StringComparer.OrdinalIgnoreCase) { ["RENTAL"] = "Rental", ["PURCHASE"] = "Purchase" },
            },
            new()
            {
                Source = "pfs_f_dor", Target = PfaFieldNames.Dor, Conversion = PemsValueConversion.Enum, Default = "PROJECT",
                ValueMap = new(StringComparer.OrdinalIgnoreCase) { ["PROJECT"] = "PROJECT", ["BEO"] = "BEO" },
            },
            new() { Source = "pfs_f_actualized", Target = PfaFieldNames.IsActualized, Conversion = PemsValueConversion.Flag },
            new() { Source = "pfs_f_discontinued", Target = PfaFieldNames.IsDiscontinued, Conversion = PemsValueConversion.Flag },
            new() { Source = "pfs_f_fundstrans", Target = PfaFieldNames.IsFundsTransferable, Conversion = PemsValueConversion.Flag },
            new() { Source = "pfs_f_rental", Target = PfaFieldNames.MonthlyRate, Conversion = PemsValueConversion.Decimal },
            new() { Source = "pfs_f_purchase", Target = PfaFieldNames.PurchasePrice, Conversion = PemsValueConversion.Decimal },
            new() { Source = "pfs_f_manufacturer", Target = PfaFieldNames.Manufacturer },
            new() { Source = "pfs_f_model", Target = PfaFieldNames.Model },
            new() { Source = "pfs_p_startdate", Target = PfaFieldNames.OriginalStart, Conversion = PemsValueConversion.Date },
            new() { Source = "pfs_p_enddate", Target = PfaFieldNames.OriginalEnd, Conversion = PemsValueConversion.Date },
            new() { Source = "pfs_f_startdate", Target = PfaFieldNames.ForecastStart, Conversion = PemsValueConversion.Date },
            new() { Source = "pfs_f_enddate", Target = PfaFieldNames.ForecastEnd, Conversion = PemsValueConversion.Date },
            new() { Source = "pfs_a_startdate", Target = PfaFieldNames.ActualStart, Conversion = PemsValueConversion.Date },
            new() { Source = "pfs_a_enddate", Target = PfaFieldNames.ActualEnd, Conversion = PemsValueConversion.Date },
            new() { Source = "pfs_ca_contract", Target = PfaFieldNames.Contract },
            new() { Source = "pfs_equipment_tag", Target = PfaFieldNames.Equipment },
            new() { Source = "pfs_vendor", Target = PfaFieldNames.VendorName },
            new() { Source = "pfs_lastmodifiedby", Target = PfaFieldNames.LastModifiedBy },
            new() { Source = CupfagGrid.LastModified, Target = PfaFieldNames.LastModified, Conversion = PemsValueConversion.Timestamp, Required = true },
        ],
    };
}

/// <summary>PFA field names of the normalised row (the app model of pfa-domain.md §2.1).</summary>
public static class PfaFieldNames
{
    public const string PfaId = "pfaId";
    public const string Organization = "organization";
    public const string Description = "description";
    public const string AreaSilo = "areaSilo";
    public const string Category = "category";
    public const string ForecastCategory = "forecastCategory";
    public const string Class = "class";
    public const string Source = "source";
    public const string Dor = "dor";
    public const string IsActualized = "isActualized";
    public const string IsDiscontinued = "isDiscontinued";
    public const string IsFundsTransferable = "isFundsTransferable";
    public const string MonthlyRate = "monthlyRate";
    public const string PurchasePrice = "purchasePrice";
    public const string Manufacturer = "manufacturer";
    public const string Model = "model";
    public const string OriginalStart = "originalStart";
    public const string OriginalEnd = "originalEnd";
    public const string ForecastStart = "forecastStart";
    public const string ForecastEnd = "forecastEnd";
    public const string ActualStart = "actualStart";
    public const string ActualEnd = "actualEnd";
    public const string Contract = "contract";
    public const string Equipment = "equipment";
    public const string VendorName = "vendorName";
    public const string LastModified = "lastModified";
    public const string LastModifiedBy = "lastModifiedBy";
}
