using System.Text.Json.Serialization;

namespace Pfa.Pems;

/// <summary>
/// The envelope every PEMS REST service answers with, on 200 and on 400 alike. A non-empty ErrorAlert means failure
/// even when the HTTP status is 200.
/// </summary>
public sealed class PemsEnvelope<TResultData> where TResultData : class
{
    [JsonPropertyName("Result")] public PemsResult<TResultData>? Result { get; set; }

    [JsonPropertyName("ConfirmationAlert")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PemsAlert? ConfirmationAlert { get; set; }

    [JsonPropertyName("ErrorAlert")] public List<PemsAlert> ErrorAlert { get; set; } = [];
}

public sealed class PemsResult<TResultData> where TResultData : class
{
    [JsonPropertyName("SessionID")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SessionId { get; set; }
    [JsonPropertyName("ResultData")] public TResultData? ResultData { get; set; }
    [JsonPropertyName("InfoAlert")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public PemsAlert? InfoAlert { get; set; }
    [JsonPropertyName("WarningAlert")] public List<PemsAlert> WarningAlert { get; set; } = [];
}

/// <summary>Result.ResultData of GET /organization.</summary>
public sealed class OrganizationResultData
{
    [JsonPropertyName("DATARECORD")] public List<OrganizationRecord> DataRecord { get; set; } = [];
}

public sealed class OrganizationRecord
{
    [JsonPropertyName("ORGANIZATIONID")] public OrganizationId OrganizationId { get; set; } = new();
}

public sealed class OrganizationId
{
    [JsonPropertyName("ORGANIZATIONCODE")] public string OrganizationCode { get; set; } = "";
    [JsonPropertyName("DESCRIPTION")] public string? Description { get; set; }
}

/// <summary>A PEMS organization (project), e.g. RIO.</summary>
public sealed record PemsOrganization(string Code, string? Description);
