namespace Pfa.Pems.Grid;

/// <summary>Data type of a grid column as PEMS names it in FIELDS.FIELD[].type.</summary>
public static class GridFieldType
{
    public const string Varchar = "VARCHAR";
    public const string Number = "NUMBER";
    public const string Decimal = "DECIMAL";
    public const string Currency = "CURRENCY";
    public const string Date = "DATE";
    public const string DateTime = "DATETIME";
    public const string CheckBoolean = "CHKBOOLEAN";
}

/// <summary>A CUPFAG column: position, label, alias and, when the UDS screen carries it, the CUPFA2 field name.</summary>
public sealed record CupfagColumn(int Order, string Label, string Alias, string Type, string? UdsField = null);

/// <summary>
/// Grid CUPFAG (id 100541): the 73 columns in the order of the C# harness (pfa-domain.md §3.2).
/// Only pfs_id and pfs_a_org are proven aliases; the rest follow the later mapping seed or the pfs_ prefix convention.
/// Columns 67–72 are unnamed in the source; we use them for actual dates, the last-modified stamp, corporate and vendor.
/// </summary>
public static class CupfagGrid
{
    public const string Name = "CUPFAG";
    public const string Id = "100541";

    /// <summary>PEMS never returns more than this many rows per page.</summary>
    public const int MaxPageSize = 10_000;

    public const string PfaId = "pfs_id";
    public const string Organization = "pfs_a_org";
    public const string LastModified = "pfs_lastmodified";

    /// <summary>Format of DATE cells (whole days).</summary>
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>Format of DATETIME cells, UTC, millisecond precision so stamps stay distinct.</summary>
    public const string DateTimeFormat = "yyyy-MM-dd HH:mm:ss.fff";

    public static IReadOnlyList<CupfagColumn> Columns { get; } =
    [
        new(0, "Description", "description", GridFieldType.Varchar, "DESCRIPTION"),
        new(1, "PFA ID", PfaId, GridFieldType.Varchar, "PFS_ID"),
        new(2, "Original Row ID", "pfs_orig_rowid", GridFieldType.Number),
        new(3, "Project Revision Number", "pfs_p_revision", GridFieldType.Number),
        new(4, "Project Number", "pfs_p_projcode", GridFieldType.Varchar),
        new(5, "PEMS Organization", Organization, GridFieldType.Varchar, "PFS_A_ORG"),
        new(6, "ESS Project Desc", "pfs_p_essdesc", GridFieldType.Varchar),
        new(7, "Category Group", "pfs_p_catgroup", GridFieldType.Varchar),
        new(8, "Class (Plan)", "pfs_p_class", GridFieldType.Varchar),
        new(9, "Category (Plan)", "pfs_p_category", GridFieldType.Varchar),
        new(10, "Category Description (Plan)", "pfs_p_catdesc", GridFieldType.Varchar),
        new(11, "Manufacturer (Plan)", "pfs_p_manufacturer", GridFieldType.Varchar),
        new(12, "Model (Plan)", "pfs_p_model", GridFieldType.Varchar),
        new(13, "Source (Plan)", "pfs_p_source", GridFieldType.Varchar),
        new(14, "DOR (Plan)", "pfs_p_dor", GridFieldType.Varchar),
        new(15, "Project Budget Code (Plan)", "pfs_p_budgetcode", GridFieldType.Varchar),
        new(16, "Duration in Months (Plan)", "pfs_p_duration", GridFieldType.Decimal),
        new(17, "Est. Start Date (Plan)", "pfs_p_startdate", GridFieldType.Date),
        new(18, "Est. End Date (Plan)", "pfs_p_enddate", GridFieldType.Date),
        new(19, "Escalated Rental Rate (Plan)", "pfs_p_rental", GridFieldType.Currency),
        new(20, "Rental Rate UOM (Plan)", "pfs_p_rate_uom", GridFieldType.Varchar),
        new(21, "OCR Rate (Plan)", "pfs_p_ocrrate", GridFieldType.Currency),
        new(22, "OCR Rate UOM (Plan)", "pfs_p_ocrrate_uom", GridFieldType.Varchar),
        new(23, "Rate Used (Plan)", "pfs_p_rateused", GridFieldType.Varchar),
        new(24, "Escalated Purchase Price (Plan)", "pfs_p_purchase", GridFieldType.Currency),
        new(25, "Est. Rental Amount (Plan)", "pfs_p_estrentalamt", GridFieldType.Currency),
        new(26, "Created Date (Plan)", "pfs_p_created", GridFieldType.DateTime),
        new(27, "Modified Date (Plan)", "pfs_p_modified", GridFieldType.DateTime),
        new(28, "Lead Times Rental (Plan)", "pfs_p_leadtimerental", GridFieldType.Number),
        new(29, "Lead Times Purchase (Plan)", "pfs_p_leadtimepurchase", GridFieldType.Number),
        new(30, "QSR (Plan)", "pfs_p_qsr", GridFieldType.Varchar),
        new(31, "Total OCRR (Plan)", "pfs_p_totalocrr", GridFieldType.Currency),
        new(32, "Variance (Plan)", "pfs_p_variance", GridFieldType.Currency),
        new(33, "Modify depreciation to straight line (Plan)", "pfs_p_straightline", GridFieldType.CheckBoolean),
        new(34, "Mitigation (Plan)", "pfs_p_mitigation", GridFieldType.Varchar),
        new(35, "Freight (Plan)", "pfs_p_freight", GridFieldType.Currency),
        new(36, "Consumables (Plan)", "pfs_p_consumables", GridFieldType.Currency),
        new(37, "Class", "pfs_f_class", GridFieldType.Varchar, "PFS_F_CLASS"),
        new(38, "Category", "pfs_f_category", GridFieldType.Varchar, "PFS_F_CATEGORY"),
        new(39, "Category Description", "pfs_f_catdesc", GridFieldType.Varchar, "PFS_F_CATDESC"),
        new(40, "Manufacturer", "pfs_f_manufacturer", GridFieldType.Varchar, "PFS_F_MANUFACT"),
        new(41, "Model", "pfs_f_model", GridFieldType.Varchar, "PFS_F_MODEL"),
        new(42, "Source", "pfs_f_source", GridFieldType.Varchar, "PFS_F_SOURCE"),
        new(43, "DOR", "pfs_f_dor", GridFieldType.Varchar, "PFS_F_DOR"),
        new(44, "Estimated Start Date", "pfs_f_startdate", GridFieldType.Date, "PFS_F_STARTDATE"),
        new(45, "Estimated End Date", "pfs_f_enddate", GridFieldType.Date, "PFS_F_ENDDATE"),
        new(46, "Duration (in Months)", "pfs_f_duration", GridFieldType.Decimal, "PFS_F_DURATION"),
        new(47, "Rental Rate", "pfs_f_rental", GridFieldType.Currency, "PFS_F_RATE"),
        new(48, "Rental Rate UOM", "pfs_f_rate_uom", GridFieldType.Varchar, "PFS_F_RATE_UOM"),
        new(49, "Purchase Price", "pfs_f_purchase", GridFieldType.Currency, "PFS_F_PRICE"),
        new(50, "Estimated Rental Amount", "pfs_f_estimatedamt", GridFieldType.Currency, "PFS_F_ESTIMATEDAMT"),
        new(51, "Last Forecast Change Date", "pfs_f_lastchangedate", GridFieldType.DateTime),
        new(52, "Lead Time", "pfs_a_leadtimerental", GridFieldType.Number, "PFS_A_LEADTIMERENTAL"),
        new(53, "Consumables", "pfs_f_consumables", GridFieldType.Currency, "PFS_F_CONSUMABLES"),
        new(54, "Last Forecast Revision", "pfs_f_last_revision", GridFieldType.Number, "PFS_F_LAST_REVISION"),
        new(55, "Last Forecast Change By", "pfs_f_last_change_by", GridFieldType.Varchar, "PFS_F_LAST_CHANGE_BY"),
        new(56, "Actualized", "pfs_f_actualized", GridFieldType.CheckBoolean, "PFA_ACT"),
        new(57, "Discontinued", "pfs_f_discontinued", GridFieldType.CheckBoolean, "PFA_DIS"),
        new(58, "Area/Silo", "pfs_f_area", GridFieldType.Varchar, "PFS_F_AREA"),
        new(59, "Freight", "pfs_f_freight", GridFieldType.Currency, "PFS_F_FREIGHT"),
        new(60, "Original PFA ID", "pfs_orig_pfaid", GridFieldType.Varchar),
        new(61, "Contract", "pfs_ca_contract", GridFieldType.Varchar, "PFA_CA_CONTRACT"),
        new(62, "Contract Revision", "pfs_ca_contractre", GridFieldType.Varchar, "PFA_CA_CONTRACTRE"),
        new(63, "Equipment", "pfs_equipment_tag", GridFieldType.Varchar, "PFS_EQUIPMENT"),
        new(64, "Actualization Date", "pfs_a_actualizationdate", GridFieldType.Date),
        new(65, "Actualized By", "pfs_a_actualizedby", GridFieldType.Varchar),
        new(66, "Funds Transferable", "pfs_f_fundstrans", GridFieldType.CheckBoolean, "PFS_FT"),
        new(67, "Actual Start Date", "pfs_a_startdate", GridFieldType.Date, "PFS_A_STARTDATE"),
        new(68, "Actual End Date", "pfs_a_enddate", GridFieldType.Date, "PFS_A_ENDDATE"),
        new(69, "Last Modified", LastModified, GridFieldType.DateTime, "PFS_F_INTLASTUPDATED"),
        new(70, "Corporate", "pfs_a_corporate", GridFieldType.Varchar, "PFS_A_CORPORATE"),
        new(71, "Last Modified By", "pfs_lastmodifiedby", GridFieldType.Varchar),
        new(72, "Vendor Name", "pfs_vendor", GridFieldType.Varchar),
    ];

    private static readonly Dictionary<string, CupfagColumn> ByAlias =
        Columns.ToDictionary(c => c.Alias, StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, CupfagColumn> ByUds =
        Columns.Where(c => c.UdsField is not null).ToDictionary(c => c.UdsField!, StringComparer.OrdinalIgnoreCase);

    public static CupfagColumn? FindByAlias(string alias) => ByAlias.GetValueOrDefault(alias);

    public static CupfagColumn? FindByUdsField(string udsField) => ByUds.GetValueOrDefault(udsField);
}
