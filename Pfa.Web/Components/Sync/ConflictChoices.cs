using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pfa.Web.Api;

namespace Pfa.Web.Components.Sync;

public enum ConflictSide { Mine, Pems }

/// <summary>The per-field choices on one conflict and the resolve request they make.</summary>
public static class ConflictChoices
{
    /// <summary>
    /// Every conflicting field chosen: all mine → <c>KeepMine</c>, all PEMS → <c>TakePems</c>, mixed → <c>Merge</c> with the
    /// fields to keep. Null while a conflicting field has no choice. Fields of the change that did not conflict are kept either way.
    /// </summary>
    public static ResolveConflictCommand? Request(ConflictItem conflict, IReadOnlyDictionary<string, ConflictSide> choices)
    {
        if (conflict.Fields.Any(f => !choices.ContainsKey(f))) return null;
        var keep = conflict.Fields.Where(f => choices[f] == ConflictSide.Mine).ToArray();
        return keep.Length == conflict.Fields.Length ? new ResolveConflictCommand(ConflictStrategy.KeepMine, null)
            : keep.Length == 0 ? new ResolveConflictCommand(ConflictStrategy.TakePems, null)
            : new ResolveConflictCommand(ConflictStrategy.Merge, keep);
    }

    /// <summary>A field value as the grid shows it: dates and text as they are, numbers grouped, nothing as a dash.</summary>
    public static string Display(JsonNode? value) => value switch
    {
        null => "—",
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => "—",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<decimal>().ToString("#,0.##", CultureInfo.InvariantCulture),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "yes" : "no",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s : "—",
        _ => value.ToJsonString(),
    };
}

/// <summary>Strategy names of <c>POST /conflicts/{pfaId}/resolve</c>.</summary>
public static class ConflictStrategy
{
    public const string KeepMine = "KeepMine", TakePems = "TakePems", Merge = "Merge";
}
