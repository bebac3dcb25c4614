using System.Text.Json.Nodes;
using Pfa.Domain;

namespace Pfa.Tests.Domain;

public class DraftRulesTests
{
    private static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static readonly PfaRecord Base = new()
    {
        PfaId = "78497", Source = PfaSource.Rental, Dor = Dor.PROJECT, MonthlyRate = 1500m,
        OriginalStart = D("2025-01-01"), OriginalEnd = D("2025-06-01"),
        ForecastStart = D("2025-01-01"), ForecastEnd = D("2025-06-01"),
    };

    private static readonly PfaRecord Actualized = Base with
    {
        IsActualized = true, HasActuals = true, ActualStart = D("2025-01-05"), ActualEnd = D("2025-06-01"),
    };

    private static JsonObject J(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Only_changed_fields_stay_in_the_delta()
    {
        var check = DraftRules.Check(Base, J("""{"forecastEnd":"2025-07-01","monthlyRate":1500.00,"dor":"PROJECT"}"""));
        Assert.True(check.IsValid);
        Assert.Equal(["forecastEnd"], check.Changes.Select(c => c.Key));
        Assert.Equal(D("2025-07-01"), check.Merged.ForecastEnd);
    }

    [Fact]
    public void Setting_a_field_back_to_base_empties_the_delta() =>
        Assert.Empty(DraftRules.Check(Base, J("""{"forecastEnd":"2025-06-01"}""")).Changes);

    [Fact]
    public void Start_after_end_is_a_field_error()
    {
        var check = DraftRules.Check(Base, J("""{"forecastStart":"2025-07-01"}"""));
        Assert.Contains("forecastEnd", check.Errors.Keys);
    }

    [Theory]
    [InlineData("""{"pfaId":"1"}""", "pfaId")]
    [InlineData("""{"originalStart":"2025-01-01"}""", "originalStart")]
    [InlineData("""{"source":"Lease"}""", "source")]
    [InlineData("""{"dor":"CORP"}""", "dor")]
    [InlineData("""{"monthlyRate":-1}""", "monthlyRate")]
    [InlineData("""{"forecastEnd":"01/07/2025"}""", "forecastEnd")]
    [InlineData("""{"isDiscontinued":"yes"}""", "isDiscontinued")]
    [InlineData("""{"isDiscontinued":true,"isFundsTransferable":true}""", "isFundsTransferable")]
    [InlineData("""{"actualEnd":"2025-08-01"}""", "actualEnd")]
    public void Invalid_requests_are_reported_per_field(string json, string field) =>
        Assert.Contains(field, DraftRules.Check(Base, J(json)).Errors.Keys);

    [Fact]
    public void Enum_values_are_normalised() =>
        Assert.Equal("Purchase", DraftRules.Check(Base, J("""{"source":"PURCHASE"}""")).Changes["source"]!.GetValue<string>());

    [Fact]
    public void Actualized_lines_keep_their_source_and_start_but_may_move_the_end()
    {
        Assert.Contains("source", DraftRules.Check(Actualized, J("""{"source":"Purchase"}""")).Errors.Keys);
        Assert.Contains("forecastStart", DraftRules.Check(Actualized, J("""{"forecastStart":"2025-01-02"}""")).Errors.Keys);
        Assert.True(DraftRules.Check(Actualized, J("""{"actualEnd":"2025-07-01","forecastEnd":"2025-07-01"}""")).IsValid);
    }

    [Fact]
    public void Discontinued_cannot_be_undone()
    {
        var discontinued = Base with { IsDiscontinued = true };
        Assert.Contains("isDiscontinued", DraftRules.Check(discontinued, J("""{"isDiscontinued":false}""")).Errors.Keys);
        Assert.True(DraftRules.Check(Base, J("""{"isDiscontinued":true}""")).IsValid);
    }

    [Fact]
    public void Json_round_trip_is_the_stored_shape()
    {
        var json = PfaJson.ToJson(Actualized);
        Assert.Equal("2025-01-05", json["actualStart"]!.GetValue<string>());
        Assert.Equal("Rental", json["source"]!.GetValue<string>());
        Assert.Equal(Actualized, PfaJson.FromJson(json));
    }
}
