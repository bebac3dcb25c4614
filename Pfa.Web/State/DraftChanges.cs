using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pfa.Web.Api;

namespace Pfa.Web.State;

/// <summary>One changed field of a line: the PEMS value my draft started from and the value it has now.</summary>
public sealed record FieldChange(string Field, string Label, string Old, string New);

/// <summary>How draft changes and write-back states read in the tray and the grid (one place for labels and formats).</summary>
public static class DraftChanges
{
    /// <summary>The grid's header for a field key (one catalogue: <see cref="Pfa.Domain.PfaColumns"/>).</summary>
    public static string Label(string field) => Pfa.Domain.PfaColumns.LabelOf(field);

    public static IReadOnlyList<FieldChange> Of(PfaRow row)
    {
        if (row.ChangedFields.Length == 0) return [];
        var merged = JsonSerializer.SerializeToNode(row.Record, PfaApiClient.Json)!.AsObject();
        return row.ChangedFields.Order(StringComparer.Ordinal)
            .Select(f => new FieldChange(f, Label(f), Format(row.BaseValues?[f]), Format(merged[f])))
            .ToList();
    }

    /// <summary>The changed value of <paramref name="field"/> as PEMS has it (for the cell's tooltip), or null when unchanged.</summary>
    public static string? BaseOf(PfaRow row, string field) =>
        row.IsChanged(field) ? Format(row.BaseValues?[field]) : null;

    public static string Format(JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "—",
        JsonValueKind.True => "Yes",
        JsonValueKind.False => "No",
        JsonValueKind.Number => decimal.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture).ToString("#,0.##", CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetValue<string>() is { Length: > 0 } s ? s : "—",
        _ => value.ToJsonString(),
    };

    /// <summary>Distinct fields over the lines, with their labels (for "which fields will be written to PEMS").</summary>
    public static IReadOnlyList<string> FieldLabels(IEnumerable<PfaRow> rows) =>
        rows.SelectMany(r => r.ChangedFields).Distinct(StringComparer.OrdinalIgnoreCase).Select(Label).Order(StringComparer.Ordinal).ToList();

    /// <summary>A delta's state as a user reads it: a committed line waits in the outbox, which is "queued".</summary>
    public static string WriteBackState(string state) => state switch
    {
        "committed" => "queued",
        _ => state,
    };

    /// <summary>While any line is still on its way to PEMS, or synced but not yet re-read into the mirror, the tray keeps polling.</summary>
    public static bool InFlight(IEnumerable<WriteBackLine> lines) =>
        lines.Any(l => WriteBackState(l.State) is "queued" or "syncing" || !l.MirrorCurrent);

    public static MudBlazor.Color StateColor(string state) => WriteBackState(state) switch
    {
        "draft" => MudBlazor.Color.Warning,
        "queued" or "syncing" => MudBlazor.Color.Info,
        "synced" => MudBlazor.Color.Success,
        "conflict" or "failed" => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };
}
