using System.Globalization;
using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.PemsSimulator;

/// <summary>CUPFA2 GET / ADD / UPDATE / DELETE. Business errors come back as ErrorAlert on HTTP 200, as PEMS does.</summary>
public sealed class UdsHandler(PemsStore store, TimeProvider time)
{
    private static readonly HashSet<string> ReadOnlyFields = new(StringComparer.OrdinalIgnoreCase)
        { Cupfa2Screen.PfaId, Cupfa2Screen.Organization, Cupfa2Screen.LastUpdated };

    public PemsEnvelope<UdsResultData> Handle(UdsRequest request, string headerOrganization, string user)
    {
        if (!string.Equals(request.ScreenName, Cupfa2Screen.Name, StringComparison.OrdinalIgnoreCase))
            return Error($"{request.ScreenName} is not a valid user defined screen.");

        var fields = request.FieldValues;
        var pfaId = fields.Find(Cupfa2Screen.PfaId)?.AsText()?.Trim();
        var org = fields.Find(Cupfa2Screen.Organization)?.AsText()?.Trim();
        if (string.IsNullOrEmpty(org)) org = headerOrganization;
        if (!store.IsKnownOrganization(org)) return Error($"Organization {org} is not valid.");

        var action = request.Action.Trim().ToUpperInvariant();
        if (action != Cupfa2Screen.Add && string.IsNullOrEmpty(pfaId)) return Error("PFS_ID is required.");

        switch (action)
        {
            case Cupfa2Screen.Get:
                return store.Find(org, pfaId!) is { } found ? Ok(found, action) : Error($"Record not found: PFS_ID {pfaId} in {org}.");

            case Cupfa2Screen.Delete:
                return store.Delete(org, pfaId!) ? Ok(null, action) : Error($"Record not found: PFS_ID {pfaId} in {org}.");

            case Cupfa2Screen.Update:
            {
                var current = store.Find(org, pfaId!);
                if (current is null) return Error($"Record not found: PFS_ID {pfaId} in {org}.");
                // Not in the real UDS contract: lets a client emulate optimistic locking by sending the stamp it read.
                if (fields.Find(Cupfa2Screen.LastUpdated) is { DateTimeData: { } sent }
                    && GridQuery.FormatStamp(sent.ToInstant()) != current.GetValueOrDefault(CupfagGrid.LastModified))
                    return Error($"Record PFS_ID {pfaId} has been updated by another user since it was read.");
                if (!TryConvert(fields, out var changes, out var error)) return Error(error!);
                var updated = store.Update(org, pfaId!, changes, user);
                return updated is null ? Error($"Record not found: PFS_ID {pfaId} in {org}.") : Ok(updated, action);
            }

            case Cupfa2Screen.Add:
            {
                if (!TryConvert(fields, out var values, out var error)) return Error(error!);
                values.TryAdd("pfs_f_source", "RENTAL");
                values.TryAdd("pfs_f_dor", "PROJECT");
                foreach (var flag in new[] { "pfs_f_actualized", "pfs_f_discontinued", "pfs_f_fundstrans" }) values.TryAdd(flag, "N");
                return Ok(store.Add(org, values, user), action);
            }

            default:
                return Error($"{request.Action} is not a valid action for {Cupfa2Screen.Name}.");
        }
    }

    /// <summary>UDS pairs → stored grid values, validating the PEMS vocabularies.</summary>
    private static bool TryConvert(UdsFieldValueList list, out Dictionary<string, string?> values, out string? error)
    {
        values = new Dictionary<string, string?>(StringComparer.Ordinal);
        error = null;
        foreach (var pair in list.Pairs)
        {
            if (ReadOnlyFields.Contains(pair.FieldName)) continue;
            var column = CupfagGrid.FindByUdsField(pair.FieldName);
            if (column is null) { error = $"{pair.FieldName} is not a valid field of {Cupfa2Screen.Name}."; return false; }
            var v = pair.Value;
            try
            {
                string? stored;
                switch (column.Type)
                {
                    case GridFieldType.Date:
                        stored = v.DateTimeData is { } dd ? SeedGenerator.D(dd.ToDate())
                            : string.IsNullOrWhiteSpace(v.TextData) ? null
                            : SeedGenerator.D(DateOnly.ParseExact(v.TextData.Trim(), CupfagGrid.DateFormat, CultureInfo.InvariantCulture));
                        break;
                    case GridFieldType.DateTime:
                        stored = v.DateTimeData is { } dt ? GridQuery.FormatStamp(dt.ToInstant()) : null;
                        break;
                    case GridFieldType.Number or GridFieldType.Decimal or GridFieldType.Currency:
                        stored = v.NumericData is { } n ? SeedGenerator.N(n.ToDecimal())
                            : string.IsNullOrWhiteSpace(v.TextData) ? null
                            : SeedGenerator.N(decimal.Parse(v.TextData, NumberStyles.Number, CultureInfo.InvariantCulture));
                        break;
                    case GridFieldType.CheckBoolean:
                        stored = v.TextData?.Trim().ToUpperInvariant() switch
                        {
                            "TRUE" or "Y" or "-1" or "1" => "Y",
                            "FALSE" or "N" or "0" or "" or null => "N",
                            _ => throw new FormatException($"'{v.TextData}' is not a valid flag"),
                        };
                        break;
                    default:
                        stored = v.TextData?.Trim();
                        if (column.Alias == "pfs_f_source") stored = Vocabulary(stored, "RENTAL", "PURCHASE");
                        if (column.Alias == "pfs_f_dor") stored = Vocabulary(stored, "PROJECT", "BEO");
                        break;
                }
                values[column.Alias] = stored;
            }
            catch (FormatException ex)
            {
                error = $"{pair.FieldName}: {ex.Message}. The value is not valid.";
                return false;
            }
        }
        return true;
    }

    private static string? Vocabulary(string? value, params string[] allowed)
    {
        var upper = value?.ToUpperInvariant();
        return upper is null || allowed.Contains(upper) ? upper
            : throw new FormatException($"'{value}' is not one of {string.Join(", ", allowed)}");
    }

    private PemsEnvelope<UdsResultData> Ok(IReadOnlyDictionary<string, string?>? record, string action)
    {
        var payload = new UdsRecordPayload { ScreenName = Cupfa2Screen.Name, RecordId = 0 };
        if (record is not null)
        {
            payload.FieldValues.Pairs = CupfagGrid.Columns.Where(c => c.UdsField is not null)
                .Select(c => new UdsFieldValuePair(c.UdsField!, ToUds(c, record.GetValueOrDefault(c.Alias))))
                .ToList();
            payload.UpdatedBy = new UdsUser { UserCode = record.GetValueOrDefault("pfs_lastmodifiedby") };
            if (record.GetValueOrDefault(CupfagGrid.LastModified) is { } stamp && TryStamp(stamp, out var instant))
                payload.DateUpdated = UdsDateTime.FromInstant(instant);
        }
        return new PemsEnvelope<UdsResultData>
        {
            Result = new PemsResult<UdsResultData> { ResultData = new UdsResultData { Screen = payload } },
            ConfirmationAlert = new PemsAlert("CONFIRMATION", $"{Cupfa2Screen.Name} {action} completed at {time.GetUtcNow():O}."),
        };
    }

    private static UdsFieldValue ToUds(CupfagColumn column, string? stored)
    {
        if (string.IsNullOrEmpty(stored)) return UdsFieldValue.Text("");
        return column.Type switch
        {
            GridFieldType.Date when DateOnly.TryParseExact(stored, CupfagGrid.DateFormat, out var d) => UdsFieldValue.Date(d),
            GridFieldType.DateTime when TryStamp(stored, out var t) => UdsFieldValue.Timestamp(t),
            GridFieldType.Number or GridFieldType.Decimal or GridFieldType.Currency
                when decimal.TryParse(stored, CultureInfo.InvariantCulture, out var n) => UdsFieldValue.Number(n),
            GridFieldType.CheckBoolean => UdsFieldValue.Flag(stored == "Y"),
            _ => UdsFieldValue.Text(stored),
        };
    }

    private static bool TryStamp(string s, out DateTimeOffset instant)
    {
        var ok = DateTime.TryParseExact(s, CupfagGrid.DateTimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt);
        instant = ok ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)) : default;
        return ok;
    }

    private static PemsEnvelope<UdsResultData> Error(string message) =>
        new() { ErrorAlert = [new PemsAlert("ERROR", message)] };
}
