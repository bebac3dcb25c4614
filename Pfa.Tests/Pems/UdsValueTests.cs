using System.Text.Json;
using Pfa.Pems.Uds;

namespace Pfa.Tests.Pems;

public class UdsValueTests
{
    [Theory]
    // The UPDATE sample of pfa-domain.md §3.3: YEAR is epoch millis, month and day come from their own fields.
    [InlineData(1746668604000L, 3, 1, "2025-03-01")]
    [InlineData(1778204604000L, 11, 1, "2026-11-01")]
    // The ADD sample sends a plain year.
    [InlineData(2024L, 7, 15, "2024-07-15")]
    public void Year_quirk_takes_the_year_from_epoch_millis_or_a_plain_year(long year, int month, int day, string expected)
    {
        var value = new UdsDateTime { Year = year, Month = month, Day = day, TimeZone = "-0500" };
        Assert.Equal(DateOnly.Parse(expected), value.ToDate());
    }

    [Theory]
    [InlineData("2025-01-01")]
    [InlineData("2025-12-31")]
    [InlineData("2024-02-29")]
    public void Dates_round_trip_through_the_epoch_year_even_at_year_boundaries(string date)
    {
        var d = DateOnly.Parse(date);
        var wire = JsonSerializer.Serialize(UdsFieldValue.Date(d));
        var back = JsonSerializer.Deserialize<UdsFieldValue>(wire)!;

        Assert.True(back.DateTimeData!.Year > 1_000_000_000_000, "YEAR goes out as epoch milliseconds, as PEMS sends it");
        Assert.Equal(d, back.DateTimeData.ToDate());
    }

    [Fact]
    public void Timestamps_keep_milliseconds_across_the_hardcoded_offset()
    {
        var instant = new DateTimeOffset(2025, 12, 31, 23, 59, 58, 123, TimeSpan.Zero);
        var back = JsonSerializer.Deserialize<UdsFieldValue>(JsonSerializer.Serialize(UdsFieldValue.Timestamp(instant)))!;
        Assert.Equal("-0500", back.DateTimeData!.TimeZone);
        Assert.Equal(instant, back.DateTimeData.ToInstant());
    }

    [Theory]
    [InlineData("1234.50", "123450", 2, "+")]
    [InlineData("-87.5", "875", 1, "-")]
    [InlineData("42", "42", 0, "+")]
    public void Numbers_are_scaled_by_numofdec_with_the_sign_apart(string value, string scaled, int decimals, string sign)
    {
        var d = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var n = UdsNumeric.From(d);
        Assert.Equal(decimal.Parse(scaled, System.Globalization.CultureInfo.InvariantCulture), n.Value);
        Assert.Equal(decimals, n.NumOfDec);
        Assert.Equal(sign, n.Sign);
        Assert.Equal(d, n.ToDecimal());
    }

    [Fact]
    public void Numeric_value_sent_as_a_string_is_read()
    {
        var n = JsonSerializer.Deserialize<UdsNumeric>("""{"VALUE":"125000","NUMOFDEC":"1","SIGN":"+"}""")!;
        Assert.Equal(12500.0m, n.ToDecimal());
    }

    [Fact]
    public void Request_uses_pems_spelling_and_sends_only_the_value_kind_that_is_set()
    {
        var request = new UdsRequest
        {
            Action = Cupfa2Screen.Update,
            FieldValues = new UdsFieldValueList { Pairs = [new("PFS_F_SOURCE", UdsFieldValue.Text("RENTAL"))] },
        };
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(request));
        var root = doc.RootElement;
        Assert.Equal("CUPFA2", root.GetProperty("USERDEFINEDSCREENNAME").GetString());
        Assert.Equal("UPDATE", root.GetProperty("USERDEFINEDSERVICEACTION").GetString());
        var pair = root.GetProperty("USERDEFINEDSCREENFIELDVALUELIST").GetProperty("USERDEFINEDSCREENFIELDVALUEPAIR")[0];
        Assert.Equal("PFS_F_SOURCE", pair.GetProperty("USERDEFINEDSCREENFIELDNAME").GetString());
        var value = pair.GetProperty("USERDEFINEDSCREENFIELDVALUE");
        Assert.Equal("RENTAL", value.GetProperty("TEXTDATA").GetString());
        Assert.False(value.TryGetProperty("NUMERICDATA", out _));
        Assert.False(value.TryGetProperty("DATETIMEDATA", out _));
    }
}
