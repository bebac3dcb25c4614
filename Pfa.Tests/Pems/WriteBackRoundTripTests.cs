using Pfa.Pems.Grid;
using Pfa.Pems.Mapping;

namespace Pfa.Tests.Pems;

/// <summary>A PFA delta → CUPFA2 UPDATE → the simulator → read back by grid and by UDS GET: the same typed values.</summary>
public class WriteBackRoundTripTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delta_written_through_the_field_map_reads_back_identically_by_grid_and_by_uds()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        var id = (await client.ReadGridPageAsync("RIO", new GridQuery { PageSize = 1 }, 0, Ct)).Rows[0][CupfagGrid.PfaId]!;
        var delta = new Dictionary<string, object?>
        {
            [PfaFieldNames.ForecastStart] = new DateOnly(2026, 2, 1),
            [PfaFieldNames.ForecastEnd] = new DateOnly(2027, 1, 31),
            [PfaFieldNames.MonthlyRate] = 5120.40m,
            [PfaFieldNames.Source] = "Purchase",
            [PfaFieldNames.Dor] = "BEO",
            [PfaFieldNames.IsDiscontinued] = true,
            [PfaFieldNames.Manufacturer] = "LIEBHERR",
        };
        var write = PemsWriteMapping.Default;

        await client.UpdateRecordAsync("RIO", id, write.ToUds(delta), Ct);

        var query = new GridQuery { Filters = [new() { AliasName = CupfagGrid.PfaId, Operator = "=", Value = id }] };
        var page = await client.ReadGridPageAsync("RIO", query, 0, Ct);
        var normalised = new PemsRowNormalizer(PemsFieldMapping.Default).Normalize(Assert.Single(page.Rows));
        var viaUds = write.FromUds(await client.GetRecordAsync("RIO", id, Ct), delta.Keys);

        foreach (var (field, value) in delta)
        {
            Assert.Equal(value, normalised.Fields[field]);
            Assert.Equal(value, viaUds[field]);
        }
    }

    [Fact]
    public void Pems_owned_fields_and_ill_typed_values_are_refused_before_anything_is_sent()
    {
        var write = PemsWriteMapping.Default;
        Assert.Throws<ArgumentException>(() => write.ToUds(new Dictionary<string, object?> { [PfaFieldNames.PfaId] = "1" }));
        Assert.Throws<ArgumentException>(() => write.ToUds(new Dictionary<string, object?> { [PfaFieldNames.OriginalStart] = new DateOnly(2025, 1, 1) }));
        Assert.Throws<ArgumentException>(() => write.ToUds(new Dictionary<string, object?> { [PfaFieldNames.Source] = "Lease" }));
        Assert.Throws<ArgumentException>(() => write.ToUds(new Dictionary<string, object?> { [PfaFieldNames.ForecastStart] = "2025-01-01" }));
    }

    [Fact]
    public void Default_write_map_follows_the_cupfa2_names_of_the_domain_reference()
    {
        var write = PemsWriteMapping.Default;
        Assert.Equal("PFS_F_STARTDATE", write.Find(PfaFieldNames.ForecastStart)!.UdsField);
        Assert.Equal("PFS_F_RATE", write.Find(PfaFieldNames.MonthlyRate)!.UdsField);
        Assert.Equal("PFS_F_PRICE", write.Find(PfaFieldNames.PurchasePrice)!.UdsField);
        Assert.Equal("PFS_F_MANUFACT", write.Find(PfaFieldNames.Manufacturer)!.UdsField);
        Assert.Equal("PFA_DIS", write.Find(PfaFieldNames.IsDiscontinued)!.UdsField);
        Assert.Equal("PFS_FT", write.Find(PfaFieldNames.IsFundsTransferable)!.UdsField);
        Assert.Equal("PFS_EQUIPMENT", write.Find(PfaFieldNames.Equipment)!.UdsField);
        Assert.Equal("RENTAL", write.Find(PfaFieldNames.Source)!.ValueMap["Rental"]);
        Assert.Null(write.Find(PfaFieldNames.OriginalStart));
    }
}
