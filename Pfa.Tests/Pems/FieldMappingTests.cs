using Microsoft.Extensions.Configuration;
using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;

namespace Pfa.Tests.Pems;

public class FieldMappingTests
{
    private static GridRow Row(params (string Alias, string? Value)[] cells) =>
        new("1", cells.ToDictionary(c => c.Alias, c => c.Value));

    private static readonly (string, string?)[] Good =
    [
        ("pfs_id", "078497"), ("pfs_a_org", "PORTARTHUR"), ("pfs_f_source", "RENTAL"), ("pfs_f_dor", "BEO"),
        ("pfs_f_actualized", "Y"), ("pfs_f_discontinued", "N"), ("pfs_f_fundstrans", ""),
        ("pfs_f_rental", "1250.50"), ("pfs_f_purchase", ""), ("pfs_f_startdate", "2025-03-01"), ("pfs_f_enddate", "2026-11-01"),
        ("pfs_lastmodified", "2025-05-08 01:43:24.123"), ("pfs_f_category", "08850"),
    ];

    [Fact]
    public void Default_mapping_types_and_normalises_pems_spellings()
    {
        var row = new PemsRowNormalizer(PemsFieldMapping.Default).Normalize(Row(Good));

        Assert.True(row.IsValid, string.Join("; ", row.Rejections));
        Assert.Equal("078497", row.PfaId);
        Assert.Equal("PORTARTHUR", row.Organization);
        Assert.Equal("Rental", row.Get<string>(PfaFieldNames.Source));
        Assert.Equal("BEO", row.Get<string>(PfaFieldNames.Dor));
        Assert.True(row.Get<bool>(PfaFieldNames.IsActualized));
        Assert.False(row.Get<bool>(PfaFieldNames.IsFundsTransferable));
        Assert.Equal(1250.50m, row.Get<decimal>(PfaFieldNames.MonthlyRate));
        Assert.Null(row.Fields[PfaFieldNames.PurchasePrice]);
        Assert.Equal(new DateOnly(2025, 3, 1), row.Get<DateOnly>(PfaFieldNames.ForecastStart));
        Assert.Equal(new DateTimeOffset(2025, 5, 8, 1, 43, 24, 123, TimeSpan.Zero), row.LastModified);
        Assert.Equal("2025-05-08 01:43:24.123", row.PemsVersion);
        Assert.Equal("RENTAL", row.Raw["pfs_f_source"]);
    }

    [Fact]
    public void Malformed_row_is_rejected_with_every_reason_instead_of_throwing()
    {
        var cells = Good.Where(c => c.Item1 != "pfs_id").ToDictionary(c => c.Item1, c => c.Item2);
        cells["pfs_f_startdate"] = "2025-02-30";
        cells["pfs_f_source"] = "LEASE";
        cells["pfs_f_rental"] = "12,50.x";
        cells["pfs_f_actualized"] = "maybe";

        var row = new PemsRowNormalizer(PemsFieldMapping.Default).Normalize(new GridRow("9", cells));

        Assert.False(row.IsValid);
        Assert.Contains(row.Rejections, r => r.StartsWith("pfaId") && r.Contains("missing"));
        Assert.Contains(row.Rejections, r => r.StartsWith("forecastStart") && r.Contains("2025-02-30"));
        Assert.Contains(row.Rejections, r => r.StartsWith("source") && r.Contains("LEASE"));
        Assert.Contains(row.Rejections, r => r.StartsWith("monthlyRate"));
        Assert.Contains(row.Rejections, r => r.StartsWith("isActualized"));
        Assert.Equal(5, row.Rejections.Count);
    }

    [Fact]
    public void Mapping_is_bindable_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rules:0:Source"] = "pfs_id", ["Rules:0:Target"] = "pfaId", ["Rules:0:Required"] = "true",
            ["Rules:1:Source"] = "pfs_f_source", ["Rules:1:Target"] = "source", ["Rules:1:Conversion"] = "Enum",
            ["Rules:1:ValueMap:RENTAL"] = "Rental", ["Rules:1:ValueMap:PURCHASE"] = "Purchase",
            ["Rules:2:Source"] = "pfs_f_startdate", ["Rules:2:Target"] = "forecastStart", ["Rules:2:Conversion"] = "Date",
            ["DateFormats:0"] = "dd.MM.yyyy",
        }).Build();
        var mapping = config.Get<PemsFieldMapping>()!;

        var row = new PemsRowNormalizer(mapping).Normalize(Row(("pfs_id", "1"), ("pfs_f_source", "purchase"), ("pfs_f_startdate", "01.03.2025")));

        Assert.True(row.IsValid, string.Join("; ", row.Rejections));
        Assert.Equal(3, row.Fields.Count);
        Assert.Equal("Purchase", row.Get<string>("source"));
        Assert.Equal(new DateOnly(2025, 3, 1), row.Get<DateOnly>("forecastStart"));
    }
}
