using System.Globalization;
using Pfa.Pems.Grid;

namespace Pfa.PemsSimulator;

/// <summary>
/// Deterministic CUPFAG data: the same seed, organizations and count always give the same records, so tests and
/// restarts see the same PEMS. Values use PEMS spellings (RENTAL/PURCHASE, PROJECT/BEO, Y/N).
/// </summary>
public static class SeedGenerator
{
    /// <summary>Fixed "today" for seeding, so seeded data never depends on the clock.</summary>
    public static readonly DateOnly ReferenceDate = new(2025, 6, 1);

    private sealed record Kind(string Class, string Category, string Description, string[] Manufacturers, string[] Models, double RentalShare, decimal MinRate, decimal MaxRate);

    private static readonly Kind[] Kinds =
    [
        new("01", "01150", "CRANE ROUGH TERRAIN 60T", ["GROVE", "TADANO", "LINK-BELT"], ["RT760E", "GR-600XL", "RTC-8065"], 0.9, 9_000, 22_000),
        new("01", "01200", "CRANE CRAWLER 250T", ["MANITOWOC", "LIEBHERR"], ["2250", "LR1250"], 0.95, 28_000, 48_000),
        new("02", "02310", "EXCAVATOR HYDRAULIC 30-35T", ["CATERPILLAR", "KOMATSU", "JOHN DEERE"], ["336", "PC360LC", "350G"], 0.8, 6_500, 11_000),
        new("03", "03400", "GENERATOR DIESEL 500KW", ["CUMMINS", "CATERPILLAR"], ["C500D6", "XQ500"], 0.85, 4_000, 8_500),
        new("04", "04120", "MANLIFT BOOM 60FT", ["JLG", "GENIE"], ["600S", "S-60"], 0.9, 1_800, 3_200),
        new("05", "05210", "FORKLIFT TELEHANDLER 10K", ["JLG", "GENIE", "SKYTRAK"], ["1055", "GTH-1056", "10054"], 0.85, 2_400, 4_200),
        new("06", "06500", "AIR COMPRESSOR 185CFM", ["SULLAIR", "DOOSAN"], ["185DPQ", "P185"], 0.75, 600, 1_400),
        new("07", "07300", "LIGHT TOWER 4-LAMP", ["ALLMAND", "WACKER NEUSON"], ["NIGHT-LITE PRO", "LTV6"], 0.7, 450, 950),
        new("08", "08850", "TANK FRAC WATER TRAILER 21,000G", ["DRAGON PRODUCTS"], ["FRAC-500"], 0.9, 1_100, 2_100),
        new("09", "09100", "WELDING MACHINE 400A", ["LINCOLN ELECTRIC", "MILLER"], ["VANTAGE 400", "BIG BLUE 400"], 0.6, 700, 1_500),
        new("10", "10600", "PICKUP TRUCK 3/4 TON", ["FORD", "CHEVROLET", "RAM"], ["F-250", "SILVERADO 2500", "2500"], 0.5, 1_500, 2_600),
        new("11", "11250", "OFFICE TRAILER 12X60", ["WILLIAMS SCOTSMAN", "MOBILE MINI"], ["MO1260", "OT-1260"], 0.8, 700, 1_600),
        new("12", "12040", "SCAFFOLD SYSTEM TUBE & CLAMP", ["SAFWAY", "BRAND"], ["SYSTEMS", "CUPLOK"], 0.7, 3_000, 15_000),
    ];

    private static readonly string[] Areas = ["SILO 1", "SILO 2", "SILO 3", "AREA 100", "AREA 200", "UTILITIES", "MARINE", "TANK FARM"];
    private static readonly string[] Users = ["JSMITH", "MGARCIA", "PNGUYEN", "RPATEL", "KOBRIEN", "PEMS_BATCH"];
    private static readonly string[] Vendors = ["UNITED RENTALS", "SUNBELT RENTALS", "HERC RENTALS", "H&E EQUIPMENT", "MAXIM CRANE WORKS"];

    /// <summary>Records of one organization, ids ascending.</summary>
    public static IEnumerable<Dictionary<string, string?>> Generate(int seed, string organization, int organizationIndex, int count)
    {
        // Seed per organization so adding an organization does not reshuffle the others. HashCode/GetHashCode are
        // randomised per process, so use a stable hash: the data must be the same after a restart.
        var rng = new Random(unchecked(seed * 397 ^ (int)StableHash(organization)));
        // Five-digit numeric strings like PEMS's "78497"; unique within an organization, overlapping across them.
        var pfaId = 20_000 + organizationIndex % 5 * 10_000;
        for (var i = 0; i < count; i++)
        {
            pfaId += 1 + rng.Next(3);
            yield return Record(rng, organization, pfaId.ToString(CultureInfo.InvariantCulture), i);
        }
    }

    public static Dictionary<string, string?> Record(Random rng, string organization, string pfaId, int index)
    {
        var kind = Kinds[rng.Next(Kinds.Length)];
        var isRental = rng.NextDouble() < kind.RentalShare;
        var manufacturerIndex = rng.Next(kind.Manufacturers.Length);
        var manufacturer = kind.Manufacturers[manufacturerIndex];
        var model = kind.Models[Math.Min(manufacturerIndex, kind.Models.Length - 1)];

        var planStart = new DateOnly(2024, 1, 1).AddDays(rng.Next(0, 900));
        var planEnd = planStart.AddMonths(rng.Next(1, 37)).AddDays(-1);
        var forecastStart = planStart.AddDays(rng.Next(-30, 91));
        var forecastEnd = planEnd.AddDays(rng.Next(-30, 181));
        if (forecastEnd <= forecastStart) forecastEnd = forecastStart.AddMonths(1);

        var rate = Math.Round(kind.MinRate + (decimal)rng.NextDouble() * (kind.MaxRate - kind.MinRate), 2);
        var price = Math.Round(rate * rng.Next(18, 40), 2);
        var actualized = forecastStart < ReferenceDate && rng.NextDouble() < 0.6;
        var discontinued = !actualized && rng.NextDouble() < 0.05;
        var fundsTransferable = !actualized && !discontinued && rng.NextDouble() < 0.03;
        var actualStart = actualized ? forecastStart.AddDays(rng.Next(-5, 10)) : (DateOnly?)null;
        var actualEnd = actualized && forecastEnd < ReferenceDate ? forecastEnd.AddDays(rng.Next(-3, 4)) : (DateOnly?)null;
        var months = Math.Round((forecastEnd.DayNumber - forecastStart.DayNumber) / 30.44m, 1);
        var lastModified = ReferenceDate.ToDateTime(TimeOnly.MinValue).AddSeconds(-rng.Next(60, 365 * 86_400));
        var user = Users[rng.Next(Users.Length)];

        var r = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["description"] = $"{kind.Category} {kind.Description} {manufacturer}",
            [CupfagGrid.PfaId] = pfaId,
            ["pfs_orig_rowid"] = (100_000 + index).ToString(CultureInfo.InvariantCulture),
            ["pfs_p_revision"] = rng.Next(0, 4).ToString(CultureInfo.InvariantCulture),
            ["pfs_p_projcode"] = $"{organization[..Math.Min(3, organization.Length)]}-{26_000 + rng.Next(0, 40)}",
            [CupfagGrid.Organization] = organization,
            ["pfs_p_essdesc"] = $"{organization} EXPANSION PROJECT",
            ["pfs_p_catgroup"] = "CONSTRUCTION EQUIPMENT",
            ["pfs_p_class"] = kind.Class,
            ["pfs_p_category"] = kind.Category,
            ["pfs_p_catdesc"] = kind.Description,
            ["pfs_p_manufacturer"] = manufacturer,
            ["pfs_p_model"] = model,
            ["pfs_p_source"] = isRental ? "RENTAL" : "PURCHASE",
            ["pfs_p_dor"] = rng.NextDouble() < 0.8 ? "PROJECT" : "BEO",
            ["pfs_p_startdate"] = D(planStart),
            ["pfs_p_enddate"] = D(planEnd),
            ["pfs_p_rental"] = isRental ? N(rate) : null,
            ["pfs_p_rate_uom"] = isRental ? "MONTH" : null,
            ["pfs_p_purchase"] = isRental ? null : N(price),
            ["pfs_p_created"] = T(planStart.AddDays(-rng.Next(30, 200)).ToDateTime(TimeOnly.MinValue)),
            ["pfs_f_class"] = kind.Class,
            ["pfs_f_category"] = kind.Category,
            ["pfs_f_catdesc"] = kind.Description,
            ["pfs_f_manufacturer"] = manufacturer,
            ["pfs_f_model"] = model,
            ["pfs_f_source"] = isRental ? "RENTAL" : "PURCHASE",
            ["pfs_f_dor"] = rng.NextDouble() < 0.8 ? "PROJECT" : "BEO",
            ["pfs_f_startdate"] = D(forecastStart),
            ["pfs_f_enddate"] = D(forecastEnd),
            ["pfs_f_duration"] = N(months),
            ["pfs_f_rental"] = isRental ? N(rate) : null,
            ["pfs_f_rate_uom"] = isRental ? "MONTH" : null,
            ["pfs_f_purchase"] = isRental ? null : N(price),
            ["pfs_f_estimatedamt"] = isRental ? N(Math.Round(rate * months, 2)) : null,
            ["pfs_f_last_revision"] = rng.Next(0, 6).ToString(CultureInfo.InvariantCulture),
            ["pfs_f_last_change_by"] = user,
            ["pfs_f_actualized"] = actualized ? "Y" : "N",
            ["pfs_f_discontinued"] = discontinued ? "Y" : "N",
            ["pfs_f_area"] = Areas[rng.Next(Areas.Length)],
            ["pfs_ca_contract"] = isRental ? $"C-{rng.Next(4000, 4999)}" : null,
            ["pfs_equipment_tag"] = actualized ? $"EQ-{rng.Next(10_000, 99_999)}" : null,
            ["pfs_a_actualizationdate"] = actualStart is { } a0 ? D(a0) : null,
            ["pfs_f_fundstrans"] = fundsTransferable ? "Y" : "N",
            ["pfs_a_startdate"] = actualStart is { } a1 ? D(a1) : null,
            ["pfs_a_enddate"] = actualEnd is { } a2 ? D(a2) : null,
            [CupfagGrid.LastModified] = T(lastModified),
            ["pfs_a_corporate"] = "INFRA",
            ["pfs_lastmodifiedby"] = user,
            ["pfs_vendor"] = isRental ? Vendors[rng.Next(Vendors.Length)] : null,
        };
        return r;
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across processes and runtimes.</summary>
    public static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = unchecked((hash ^ c) * 16777619u);
        return hash;
    }

    public static string D(DateOnly d) => d.ToString(CupfagGrid.DateFormat, CultureInfo.InvariantCulture);
    public static string N(decimal d) => d.ToString(CultureInfo.InvariantCulture);
    public static string T(DateTime utc) => utc.ToString(CupfagGrid.DateTimeFormat, CultureInfo.InvariantCulture);
}
