using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pfa.Tests.Pems;

/// <summary>Raw HTTP against the simulator: the original app's request body and the per-request fault header.</summary>
public class SimulatorWireTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Post(string path, string body, string organization = "RIO")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{SimulatorHost.User}:{SimulatorHost.Password}")));
        request.Headers.Add("tenant", SimulatorHost.Tenant);
        request.Headers.Add("organization", organization);
        return request;
    }

    [Fact]
    public async Task The_original_apps_request_with_begins_filter_and_row_offset_is_answered_in_spec_shape()
    {
        await using var sim = new SimulatorHost();
        using var http = sim.CreateClient();
        // pfa-domain.md §3.2, as PemsSyncService sent it, plus its non-spec ROW_OFFSET.
        const string body = """
            {"GRID":{"GRID_NAME":"CUPFAG","GRID_ID":"100541","NUMBER_OF_ROWS_FIRST_RETURNED":10000,"RESULT_IN_SAXORDER":"TRUE"},
             "ADDON_SORT":{"ALIAS_NAME":"pfs_id","TYPE":"ASC"},
             "ADDON_FILTER":{"ALIAS_NAME":"pfs_a_org","OPERATOR":"BEGINS","VALUE":"PORT"},
             "GRID_TYPE":{"TYPE":"LIST"},"LOV_PARAMETER":{"ALIAS_NAME":"pfs_id"},"REQUEST_TYPE":"LIST.DATA_ONLY.STORED","ROW_OFFSET":100}
            """;

        using var response = await http.SendAsync(Post("/axis/restservices/griddata", body), Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var grid = doc.RootElement.GetProperty("Result").GetProperty("ResultData").GetProperty("GRID");
        Assert.Equal("120", grid.GetProperty("TOTAL-COUNT").GetString());
        Assert.Equal("-", grid.GetProperty("METADATA").GetProperty("MORERECORDPRESENT").GetString());
        var rows = grid.GetProperty("DATA").GetProperty("ROW");
        Assert.Equal(20, rows.GetArrayLength());
        var firstCell = rows[0].GetProperty("D")[0];
        Assert.Equal("1", firstCell.GetProperty("n").GetString());
        Assert.Equal(73, grid.GetProperty("FIELDS").GetProperty("FIELD").GetArrayLength());
        Assert.Empty(doc.RootElement.GetProperty("ErrorAlert").EnumerateArray());
    }

    [Theory]
    [InlineData("503", HttpStatusCode.ServiceUnavailable)]
    [InlineData("429", HttpStatusCode.TooManyRequests)]
    [InlineData("latency:5", HttpStatusCode.OK)]
    public async Task The_fault_header_applies_to_that_request_only(string fault, HttpStatusCode expected)
    {
        await using var sim = new SimulatorHost();
        using var http = sim.CreateClient();
        const string body = """{"GRID":{"GRID_NAME":"CUPFAG","NUMBER_OF_ROWS_FIRST_RETURNED":1},"REQUEST_TYPE":"LIST.COUNT.STORED"}""";

        var faulted = Post("/axis/restservices/griddata", body);
        faulted.Headers.Add("X-Pems-Sim-Fault", fault);
        using var first = await http.SendAsync(faulted, Ct);
        using var second = await http.SendAsync(Post("/axis/restservices/griddata", body), Ct);

        Assert.Equal(expected, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task Missing_organization_header_is_a_bad_request_with_the_envelope()
    {
        await using var sim = new SimulatorHost();
        using var http = sim.CreateClient();
        var request = Post("/axis/restservices/griddata", "{}");
        request.Headers.Remove("organization");

        using var response = await http.SendAsync(request, Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("organization", doc.RootElement.GetProperty("ErrorAlert")[0].GetProperty("Message").GetString());
    }
}
