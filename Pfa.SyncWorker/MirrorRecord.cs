using Pfa.Domain;
using Pfa.Pems.Mapping;

namespace Pfa.SyncWorker;

/// <summary>A normalised PEMS row as the mirror stores it: the PfaJson text and its SHA-256.</summary>
public sealed record MirrorRecord(string PfaId, string Data, string? PemsVersion, byte[] ContentHash)
{
    /// <summary>Builds the domain record from the neutral mapped fields; the hash is over exactly the stored text.</summary>
    public static MirrorRecord From(PemsNormalizedRow row)
    {
        var record = new PfaRecord
        {
            PfaId = row.PfaId!,
            Description = row.Get<string>(PfaFieldNames.Description),
            AreaSilo = row.Get<string>(PfaFieldNames.AreaSilo),
            Class = row.Get<string>(PfaFieldNames.Class),
            Category = row.Get<string>(PfaFieldNames.Category),
            CategoryDescription = row.Get<string>(PfaFieldNames.ForecastCategory),
            Source = Enum.Parse<PfaSource>(row.Get<string>(PfaFieldNames.Source) ?? nameof(PfaSource.Rental), ignoreCase: true),
            Dor = Enum.Parse<Dor>(row.Get<string>(PfaFieldNames.Dor) ?? nameof(Dor.PROJECT), ignoreCase: true),
            IsActualized = row.Get<bool>(PfaFieldNames.IsActualized),
            IsDiscontinued = row.Get<bool>(PfaFieldNames.IsDiscontinued),
            IsFundsTransferable = row.Get<bool>(PfaFieldNames.IsFundsTransferable),
            MonthlyRate = row.Get<decimal>(PfaFieldNames.MonthlyRate),
            PurchasePrice = row.Get<decimal>(PfaFieldNames.PurchasePrice),
            Manufacturer = row.Get<string>(PfaFieldNames.Manufacturer),
            Model = row.Get<string>(PfaFieldNames.Model),
            OriginalStart = Date(row, PfaFieldNames.OriginalStart),
            OriginalEnd = Date(row, PfaFieldNames.OriginalEnd),
            ForecastStart = Date(row, PfaFieldNames.ForecastStart),
            ForecastEnd = Date(row, PfaFieldNames.ForecastEnd),
            ActualStart = Date(row, PfaFieldNames.ActualStart),
            ActualEnd = Date(row, PfaFieldNames.ActualEnd),
            // PEMS has no such column: a line has actuals once its actual window has started.
            HasActuals = Date(row, PfaFieldNames.ActualStart) is not null,
            Contract = row.Get<string>(PfaFieldNames.Contract),
            Equipment = row.Get<string>(PfaFieldNames.Equipment),
            PemsVersion = row.PemsVersion,
        };
        // Hashes of lines already in the mirror stay equal to the JsonObject-era text (MirrorRecordTests compares the two).
        var (text, hash) = PfaJson.Stored(record);
        return new MirrorRecord(record.PfaId, text, row.PemsVersion, hash);
    }

    private static DateOnly? Date(PemsNormalizedRow row, string field) =>
        row.Fields.TryGetValue(field, out var v) && v is DateOnly d ? d : null;
}
