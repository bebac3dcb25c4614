using System.Globalization;
using System.Text.Json.Serialization;

namespace Pfa.Pems.Uds;

/// <summary>Screen CUPFA2 (UserDefinedScreenService): name and actions.</summary>
public static class Cupfa2Screen
{
    public const string Name = "CUPFA2";
    public const string Get = "GET";
    public const string Add = "ADD";
    public const string Update = "UPDATE";
    public const string Delete = "DELETE";

    public const string PfaId = "PFS_ID";
    public const string Organization = "PFS_A_ORG";
    public const string LastUpdated = "PFS_F_INTLASTUPDATED";

    /// <summary>The offset the original client hard-coded; PEMS echoes it.</summary>
    public const string DefaultTimeZone = "-0500";
}

/// <summary>Body of POST /userdefinedscreenservices.</summary>
public sealed class UdsRequest
{
    [JsonPropertyName("USERDEFINEDSCREENNAME")] public string ScreenName { get; set; } = Cupfa2Screen.Name;
    [JsonPropertyName("USERDEFINEDSERVICEACTION")] public string Action { get; set; } = Cupfa2Screen.Get;
    [JsonPropertyName("USERDEFINEDSCREENFIELDVALUELIST")] public UdsFieldValueList FieldValues { get; set; } = new();

    [JsonPropertyName("recordid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RecordId { get; set; }
}

public sealed class UdsFieldValueList
{
    [JsonPropertyName("USERDEFINEDSCREENFIELDVALUEPAIR")] public List<UdsFieldValuePair> Pairs { get; set; } = [];

    public UdsFieldValue? Find(string fieldName) =>
        Pairs.FirstOrDefault(p => string.Equals(p.FieldName, fieldName, StringComparison.OrdinalIgnoreCase))?.Value;
}

public sealed class UdsFieldValuePair
{
    public UdsFieldValuePair() { }

    public UdsFieldValuePair(string fieldName, UdsFieldValue value)
    {
        FieldName = fieldName;
        Value = value;
    }

    [JsonPropertyName("USERDEFINEDSCREENFIELDNAME")] public string FieldName { get; set; } = "";
    [JsonPropertyName("USERDEFINEDSCREENFIELDVALUE")] public UdsFieldValue Value { get; set; } = new();
}

/// <summary>One UDS value: exactly one of TEXTDATA, NUMERICDATA or DATETIMEDATA is set.</summary>
public sealed class UdsFieldValue
{
    [JsonPropertyName("TEXTDATA")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TextData { get; set; }

    [JsonPropertyName("NUMERICDATA")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UdsNumeric? NumericData { get; set; }

    [JsonPropertyName("DATETIMEDATA")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UdsDateTime? DateTimeData { get; set; }

    public static UdsFieldValue Text(string? text) => new() { TextData = text ?? "" };

    /// <summary>PEMS spells UDS flags as TEXTDATA "true"/"false".</summary>
    public static UdsFieldValue Flag(bool value) => Text(value ? "true" : "false");

    public static UdsFieldValue Number(decimal value) => new() { NumericData = UdsNumeric.From(value) };

    public static UdsFieldValue Date(DateOnly date, string timeZone = Cupfa2Screen.DefaultTimeZone) =>
        new() { DateTimeData = UdsDateTime.FromDate(date, timeZone) };

    public static UdsFieldValue Timestamp(DateTimeOffset instant, string timeZone = Cupfa2Screen.DefaultTimeZone) =>
        new() { DateTimeData = UdsDateTime.FromInstant(instant, timeZone) };

    /// <summary>The value as text whatever its kind (numbers invariant, dates ISO), for comparisons and logs.</summary>
    public string? AsText() =>
        TextData ?? NumericData?.ToDecimal().ToString(CultureInfo.InvariantCulture) ?? DateTimeData?.ToInstant().ToString("O");
}

/// <summary>
/// NUMERICDATA. VALUE is the number scaled by 10^NUMOFDEC (EAM convention), with the sign in SIGN.
/// Reading also accepts a signed VALUE and a VALUE sent as a string.
/// </summary>
public sealed class UdsNumeric
{
    [JsonPropertyName("VALUE")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal Value { get; set; }

    [JsonPropertyName("NUMOFDEC")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public int NumOfDec { get; set; }

    [JsonPropertyName("SIGN")] public string Sign { get; set; } = "+";
    [JsonPropertyName("CURRENCY")] public string Currency { get; set; } = "XXX";
    [JsonPropertyName("DRCR")] public string DrCr { get; set; } = "D";
    [JsonPropertyName("qualifier")] public string Qualifier { get; set; } = "OTHER";

    public static UdsNumeric From(decimal value)
    {
        var abs = Math.Abs(value);
        var scale = abs.Scale;
        var scaled = abs * Pow10(scale);
        return new UdsNumeric { Value = decimal.Truncate(scaled), NumOfDec = scale, Sign = value < 0 ? "-" : "+" };
    }

    public decimal ToDecimal()
    {
        var v = NumOfDec is > 0 and <= 28 ? Value / Pow10(NumOfDec) : Value;
        return Sign == "-" && v > 0 ? -v : v;
    }

    private static decimal Pow10(int n)
    {
        var p = 1m;
        for (var i = 0; i < n; i++) p *= 10m;
        return p;
    }
}

/// <summary>
/// DATETIMEDATA. The YEAR quirk: the spec types YEAR as utc-millisec, so PEMS sends (and expects) epoch milliseconds
/// there; only the year is taken from it, MONTH/DAY/... come from their own fields. Older payloads send a plain year.
/// </summary>
public sealed class UdsDateTime
{
    /// <summary>Anything below this is a plain calendar year, anything above epoch milliseconds.</summary>
    private const long PlainYearLimit = 10_000;

    [JsonPropertyName("YEAR")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long Year { get; set; }

    [JsonPropertyName("MONTH")][JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public int Month { get; set; }
    [JsonPropertyName("DAY")][JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public int Day { get; set; }
    [JsonPropertyName("HOUR")][JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public int Hour { get; set; }
    [JsonPropertyName("MINUTE")][JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public int Minute { get; set; }
    [JsonPropertyName("SECOND")][JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public int Second { get; set; }
    [JsonPropertyName("SUBSECOND")][JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] public int SubSecond { get; set; }
    [JsonPropertyName("TIMEZONE")] public string TimeZone { get; set; } = Cupfa2Screen.DefaultTimeZone;
    [JsonPropertyName("qualifier")] public string Qualifier { get; set; } = "OTHER";

    public static UdsDateTime FromDate(DateOnly date, string timeZone = Cupfa2Screen.DefaultTimeZone) =>
        FromInstant(new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), ParseOffset(timeZone)), timeZone);

    public static UdsDateTime FromInstant(DateTimeOffset instant, string timeZone = Cupfa2Screen.DefaultTimeZone)
    {
        var local = instant.ToOffset(ParseOffset(timeZone));
        return new UdsDateTime
        {
            Year = local.ToUnixTimeMilliseconds(),
            Month = local.Month,
            Day = local.Day,
            Hour = local.Hour,
            Minute = local.Minute,
            Second = local.Second,
            SubSecond = local.Millisecond,
            TimeZone = timeZone,
        };
    }

    /// <summary>The calendar year, whichever way YEAR was sent.</summary>
    public int CalendarYear => Year < PlainYearLimit
        ? (int)Year
        : DateTimeOffset.FromUnixTimeMilliseconds(Year).ToOffset(ParseOffset(TimeZone)).Year;

    /// <exception cref="FormatException">The parts do not form a real date.</exception>
    public DateOnly ToDate()
    {
        try
        {
            return new DateOnly(CalendarYear, Month, Day);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new FormatException($"DATETIMEDATA {Year}/{Month}/{Day} is not a date.", ex);
        }
    }

    public DateTimeOffset ToInstant()
    {
        try
        {
            return new DateTimeOffset(CalendarYear, Month, Day, Hour, Minute, Second, SubSecond, ParseOffset(TimeZone));
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new FormatException($"DATETIMEDATA {Year}/{Month}/{Day} {Hour}:{Minute}:{Second} is not a time.", ex);
        }
    }

    /// <summary>Parses "-0500", "+05:30" or "Z"; anything unreadable counts as UTC rather than failing a whole record.</summary>
    public static TimeSpan ParseOffset(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone) || timeZone is "Z" or "UTC") return TimeSpan.Zero;
        var s = timeZone.Replace(":", "", StringComparison.Ordinal);
        if (s.Length == 5 && (s[0] == '+' || s[0] == '-')
            && int.TryParse(s.AsSpan(1, 2), out var h) && int.TryParse(s.AsSpan(3, 2), out var m))
        {
            var span = new TimeSpan(h, m, 0);
            return s[0] == '-' ? -span : span;
        }
        return TimeSpan.Zero;
    }
}

/// <summary>Result.ResultData of a UDS call.</summary>
public sealed class UdsResultData
{
    [JsonPropertyName("UserDefinedScreenService")] public UdsRecordPayload? Screen { get; set; }
}

public sealed class UdsRecordPayload
{
    [JsonPropertyName("USERDEFINEDSCREENNAME")] public string? ScreenName { get; set; }
    [JsonPropertyName("USERDEFINEDSCREENFIELDVALUELIST")] public UdsFieldValueList FieldValues { get; set; } = new();

    [JsonPropertyName("recordid")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? RecordId { get; set; }

    [JsonPropertyName("CREATEDBY")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public UdsUser? CreatedBy { get; set; }
    [JsonPropertyName("UPDATEDBY")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public UdsUser? UpdatedBy { get; set; }
    [JsonPropertyName("DATEUPDATED")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public UdsDateTime? DateUpdated { get; set; }
}

public sealed class UdsUser
{
    [JsonPropertyName("USERCODE")] public string? UserCode { get; set; }
    [JsonPropertyName("DESCRIPTION")] public string? Description { get; set; }
}
