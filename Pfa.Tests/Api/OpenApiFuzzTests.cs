using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Api;

/// <summary>
/// Issue 17: every operation in <c>/openapi/v1.json</c> gets malformed parameters and bodies; none may answer 5xx, and a 400
/// must be a ProblemDetails naming the culprit. The request list comes from the document, so new routes are fuzzed too.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OpenApiFuzzTests(InfrastructureFixture infra, ITestOutputHelper output)
{
    private const string Nul = "a\u0000b";
    private static readonly string Huge = new('x', 10_000);

    /// <summary>Values for every path/query parameter: wrong types, boundaries, out of range, empty, huge, control characters.</summary>
    private static readonly string[] ParameterValues =
    [
        "", "abc", "-1", "0", "2147483648", "99999999999999999999", "1.5", "true", "maybe",
        "0001-01-01", "9999-12-31", "10000-01-01", "2025-13-45", "00000000-0000-0000-0000-000000000000",
        Huge, "\u0001\u001f\u007f", Nul, "' OR 1=1 --", "[]",
    ];

    private sealed record Fuzz(string Method, string Path, string Label, string? Query, HttpContent? Body, string? Culprit);

    private ApiHost _host = null!;
    private string _org = "";
    private string _user = "";
    private volatile HttpClient _client = null!;

    [Fact]
    public async Task Every_documented_operation_answers_malformed_input_with_a_4xx_problem_never_a_5xx()
    {
        _host = ApiHost.For(infra);
        _org = ApiHost.Unique("FZ");
        var orgId = await _host.CreateOrgAsync(_org);
        _user = ApiHost.Unique("fz").ToLowerInvariant();
        var userId = await _host.CreateUserAsync(_user, (orgId, "Admin"));
        // A system admin with every org permission: requests reach parameter binding and validation, not a 403.
        await IdentityTestKit.MakeSystemAdminAsync(_host.Db, userId);
        await _host.UpsertMirrorAsync(orgId, Lines.Rental("9001"), Lines.Rental("9002"));
        _client = await _host.LoginAsync(_user);

        var doc = JsonNode.Parse(await _client.GetStringAsync("/openapi/v1.json", Http.Ct))!;
        var fuzzes = new List<Fuzz>();
        var later = new List<Fuzz>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
            {
                if (op is not JsonObject operation || method is "parameters" or "summary" or "description") continue;
                // Server-sent events: an endless stream, nothing to bind; only its headers are read (below).
                if (path.EndsWith("/events", StringComparison.Ordinal)) continue;
                var generated = Generate(doc, method.ToUpperInvariant(), path, operation).ToList();
                // Sign-in/out and password routes last: a request they accept may end this session (then we sign in again).
                (path.StartsWith("/api/auth", StringComparison.Ordinal) ? later : fuzzes).AddRange(generated);
            }
        Assert.True(fuzzes.Count + later.Count > 1000, $"only {fuzzes.Count + later.Count} requests generated");

        var failures = new ConcurrentQueue<string>();
        var serverErrors = 0;
        var outages = 0;
        var sent = 0;
        async Task Run(Fuzz f, CancellationToken ct)
        {
            Interlocked.Increment(ref sent);
            var (status, problem) = await SendAsync(f, ct);
            // 503 is an honest outage answer, not a crash: the test host has no PEMS connection, so the PEMS directory says so.
            if (status == HttpStatusCode.ServiceUnavailable && problem.Item1 == "application/problem+json")
                Interlocked.Increment(ref outages);
            else if ((int)status >= 500)
            {
                Interlocked.Increment(ref serverErrors);
                failures.Enqueue($"{(int)status} {f.Method} {f.Path} [{f.Label}]: {Truncate(problem)}");
            }
            else if (status == HttpStatusCode.BadRequest && Check(f, problem) is { } why)
                failures.Enqueue($"400 {f.Method} {f.Path} [{f.Label}]: {why}: {Truncate(problem)}");
        }
        await Parallel.ForEachAsync(fuzzes, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Http.Ct }, async (f, ct) => await Run(f, ct));
        foreach (var f in later) await Run(f, Http.Ct);

        // The SSE stream: a malformed query may not break it either; headers only, then the stream is dropped.
        foreach (var path in doc["paths"]!.AsObject().Select(p => p.Key).Where(p => p.EndsWith("/events", StringComparison.Ordinal)))
            foreach (var value in new[] { "", Nul, Huge })
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(Http.Ct);
                cts.CancelAfter(TimeSpan.FromSeconds(10));
                using var request = new HttpRequestMessage(HttpMethod.Get, Fill(path, null) + "?x=" + Uri.EscapeDataString(value));
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
                sent++;
                if ((int)response.StatusCode >= 500) { serverErrors++; failures.Enqueue($"{(int)response.StatusCode} GET {path}"); }
            }

        output.WriteLine($"OpenAPI fuzz: {sent} requests over {doc["paths"]!.AsObject().Count} paths, {serverErrors} answered 5xx other than 503, {outages} answered 503 (a dependency the test host lacks), {failures.Count} failures.");
        Assert.True(failures.IsEmpty, $"{failures.Count} failures ({serverErrors} 5xx):{Environment.NewLine}" + string.Join(Environment.NewLine, failures.Take(40)));
    }

    /// <summary>Null when the 400 is a ProblemDetails that names the culprit (when the request had one); else what is wrong.</summary>
    private static string? Check(Fuzz f, (string? ContentType, string Body) problem)
    {
        if (problem.ContentType != "application/problem+json") return $"content type {problem.ContentType}";
        JsonObject json;
        try { json = JsonNode.Parse(problem.Body)!.AsObject(); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { return "not a JSON object"; }
        if (problem.Body.Contains("   at ", StringComparison.Ordinal)) return "a stack trace";
        var keys = json["errors"] is JsonObject errors ? errors.Select(e => e.Key).ToList() : [];
        var text = $"{json["title"]} {json["detail"]}";
        if (keys.Count == 0 && string.IsNullOrWhiteSpace(json["detail"]?.ToString())) return "neither errors nor detail";
        if (f.Culprit is null) return null;
        // The root of a body is named by its parameter name ("request") or "body"; a property by its JSON path.
        if (f.Culprit == "$") return keys.Count > 0 || text.Contains("body", StringComparison.OrdinalIgnoreCase) ? null : "body not named";
        bool Names(string s) => s.Contains(f.Culprit, StringComparison.OrdinalIgnoreCase) || f.Culprit.Contains(s, StringComparison.OrdinalIgnoreCase) && s.Length > 0;
        return keys.Any(Names) || text.Contains(f.Culprit, StringComparison.OrdinalIgnoreCase) ? null : $"'{f.Culprit}' not named";
    }

    private async Task<(HttpStatusCode, (string?, string))> SendAsync(Fuzz f, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(f.Method), f.Path + (f.Query is null ? "" : "?" + f.Query)) { Content = Clone(f.Body) };
            using var response = await _client.SendAsync(request, ct);
            // A fuzzed auth request that signed this session out: sign in again and repeat, so later routes are still reached.
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && !f.Path.StartsWith("/api/auth", StringComparison.Ordinal))
            {
                _client = await _host.LoginAsync(_user);
                continue;
            }
            return (response.StatusCode, (response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct)));
        }
    }

    private static HttpContent? Clone(HttpContent? body)
    {
        if (body is null) return null;
        // Contents are sent once each; a buffered copy allows the retry above.
        var bytes = body.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        var copy = new ByteArrayContent(bytes);
        foreach (var h in body.Headers) copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
        return copy;
    }

    private IEnumerable<Fuzz> Generate(JsonNode doc, string method, string path, JsonObject op)
    {
        var parameters = (op["parameters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var bodyTypes = op["requestBody"]?["content"] as JsonObject;
        var jsonSchema = bodyTypes?["application/json"]?["schema"];
        var multipart = bodyTypes?.Any(c => c.Key.StartsWith("multipart/", StringComparison.Ordinal)) == true;
        // When a parameter is fuzzed the body is an empty object: the parameter is the only thing wrong in the request.
        HttpContent? NeutralBody() => jsonSchema is null ? null : Json("{}");

        foreach (var p in parameters)
        {
            var name = p["name"]!.GetValue<string>();
            var where = p["in"]!.GetValue<string>();
            if (where is not ("path" or "query")) continue;
            var schema = Resolve(doc, p["schema"]);
            foreach (var value in ParameterValues)
            {
                var culprit = IsTypeInvalid(schema, value) ? name : null;
                if (where == "path")
                {
                    if (value.Length == 0) continue; // an empty segment is another route, not this parameter
                    // The server's URL decoder refuses %00 in a path (Kestrel answers 400 before the app; the test host throws).
                    if (value.Contains('\0')) continue;
                    yield return new Fuzz(method, Fill(path, (name, value)), $"path {name}={Show(value)}", null, NeutralBody(), culprit);
                }
                else
                    yield return new Fuzz(method, Fill(path, null), $"query {name}={Show(value)}", $"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}", NeutralBody(), culprit);
            }
        }

        var target = Fill(path, null);
        if (jsonSchema is not null)
        {
            var deep = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);
            foreach (var (label, body, content) in new (string, string?, bool)[]
                     {
                         ("absent", null, false), ("empty", "", true), ("array", "[]", true), ("null", "null", true), ("malformed", "{\"a\":", true),
                         ("string", "\"x\"", true), ("number", "42", true), ("deep200", deep, true), ("bom-garbage", "\uFEFF\u0000{}", true),
                     })
                yield return new Fuzz(method, target, $"body {label}", null, content ? Json(body!) : null, "$");
            foreach (var (pathInBody, kind, node) in Properties(doc, jsonSchema, "", 0))
                foreach (var (label, value, culpable) in BadValues(kind))
                {
                    var json = Wrap(pathInBody, value);
                    yield return new Fuzz(method, target, $"body {pathInBody}: {label}", null, Json(json.ToJsonString()), culpable ? pathInBody : null);
                }
        }
        else if (multipart)
        {
            // Uploads get their own malformed files: none, empty, garbage bytes, a CSV with a NUL and a huge cell.
            yield return new Fuzz(method, target, "upload none", null, new MultipartFormDataContent(), null);
            foreach (var (label, name, bytes) in new (string, string, byte[])[]
                     {
                         ("empty", "empty.csv", []), ("garbage xlsx", "x.xlsx", Encoding.UTF8.GetBytes("PK\u0003\u0004 not a zip")),
                         ("nul csv", "n.csv", Encoding.UTF8.GetBytes("PFA Id,Category\n9001,a\u0000b\n")),
                         ("huge cell", "h.csv", Encoding.UTF8.GetBytes("PFA Id,Category\n9001," + Huge + "\n")),
                         ("binary", "b.bin", [0, 1, 2, 255, 254, 0]),
                     })
            {
                var form = new MultipartFormDataContent();
                form.Add(new ByteArrayContent(bytes), "file", name);
                yield return new Fuzz(method, target, $"upload {label}", null, form, null);
            }
        }
        else if (parameters.Count == 0)
            yield return new Fuzz(method, target, "plain", null, null, null);
    }

    /// <summary>Wrong values for one body property; <c>culpable</c> when binding or validation must name the property.</summary>
    private static IEnumerable<(string Label, JsonNode? Value, bool Culpable)> BadValues(JsonObject schema)
    {
        var types = Types(schema);
        if (schema["enum"] is JsonArray)
        {
            yield return ("unknown enum", "Explode", true);
            yield return ("enum by number", 1, true);
            yield return ("enum as numeric string", "1", true);
            yield break;
        }
        if (types.Contains("string"))
        {
            if (!types.Contains("number") && !types.Contains("integer")) yield return ("number for string", 12345, true);
            yield return ("object for string", new JsonObject { ["a"] = 1 }, true);
            yield return ("huge string", Huge, false);
            yield return ("NUL", Nul, true);
            if (schema["format"]?.ToString() is "date" or "date-time" or "uuid") yield return ("bad format", "2025-13-45", true);
        }
        else if (types.Contains("integer") || types.Contains("number"))
        {
            yield return ("text for number", "abc", true);
            yield return ("huge number", JsonNode.Parse("1e400"), true);
            yield return ("negative", -1, false);
            yield return ("boundary", 2147483648L, false);
        }
        else if (types.Contains("boolean")) yield return ("text for boolean", "maybe", true);
        else if (types.Contains("array"))
        {
            yield return ("string for array", "x", true);
            yield return ("array of NUL", new JsonArray(Nul), false);
        }
        else if (types.Contains("object"))
        {
            yield return ("number for object", 5, true);
            yield return ("array for object", new JsonArray(), true);
        }
    }

    /// <summary>Every property of the body schema (objects and objects in arrays, two levels), as a JSON path.</summary>
    private static IEnumerable<(string Path, JsonObject Schema, JsonNode? Node)> Properties(JsonNode doc, JsonNode? schemaNode, string prefix, int depth)
    {
        var schema = Resolve(doc, schemaNode);
        if (depth > 2 || schema["properties"] is not JsonObject props) yield break;
        foreach (var (name, propNode) in props)
        {
            var prop = Resolve(doc, propNode);
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            yield return (path, prop, propNode);
            if (Types(prop).Contains("array") && Resolve(doc, prop["items"]) is { } items && items["properties"] is not null)
                foreach (var inner in Properties(doc, items, $"{path}[0]", depth + 1)) yield return inner;
            else if (prop["properties"] is not null)
                foreach (var inner in Properties(doc, prop, path, depth + 1)) yield return inner;
        }
    }

    /// <summary>{"a":[{"b": value}]} for the path "a[0].b".</summary>
    private static JsonObject Wrap(string path, JsonNode? value)
    {
        JsonNode? node = value;
        var segments = path.Split('.');
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            var segment = segments[i];
            var isItem = segment.EndsWith("[0]", StringComparison.Ordinal);
            var obj = new JsonObject { [isItem ? segment[..^3] : segment] = null };
            obj[isItem ? segment[..^3] : segment] = node;
            node = obj;
            if (i > 0 && segments[i - 1].EndsWith("[0]", StringComparison.Ordinal)) node = new JsonArray(node);
        }
        return node!.AsObject();
    }

    private static JsonObject Resolve(JsonNode doc, JsonNode? schema)
    {
        for (var i = 0; i < 10 && schema is JsonObject s; i++)
        {
            if (s["$ref"]?.GetValue<string>() is { } reference)
                schema = reference.Split('/').Skip(1).Aggregate((JsonNode?)doc, (n, k) => n?[k]);
            else if ((s["oneOf"] ?? s["anyOf"] ?? s["allOf"]) is JsonArray choices)
                schema = choices.FirstOrDefault(c => c?["type"]?.ToString() != "null");
            else return s;
        }
        return schema as JsonObject ?? [];
    }

    private static HashSet<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray a => a.Select(t => t!.GetValue<string>()).ToHashSet(),
        JsonValue v => [v.GetValue<string>()],
        _ => [],
    };

    /// <summary>True when the value cannot bind to the parameter's type, so the answer must name the parameter.</summary>
    private static bool IsTypeInvalid(JsonObject schema, string value)
    {
        if (value.Contains('\0')) return true;
        var types = Types(schema);
        if (types.Contains("array")) return false;
        if (types.Contains("string") && schema["format"] is null && schema["pattern"] is null) return false;
        var format = schema["format"]?.ToString();
        if (value.Length == 0) return false; // an empty query value binds as absent
        if (format == "date") return !DateOnly.TryParse(value, CultureInfo.InvariantCulture, out _);
        if (format == "date-time") return !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, out _);
        if (format == "uuid") return !Guid.TryParse(value, out _);
        if (types.Contains("integer")) return format == "int64" ? !long.TryParse(value, CultureInfo.InvariantCulture, out _) : !int.TryParse(value, CultureInfo.InvariantCulture, out _);
        if (types.Contains("number")) return !decimal.TryParse(value, CultureInfo.InvariantCulture, out _);
        if (types.Contains("boolean")) return !bool.TryParse(value, out _);
        return false;
    }

    /// <summary>The path with the fuzzed parameter set and the others valid (this test's organization and line).</summary>
    private string Fill(string path, (string Name, string Value)? fuzzed) =>
        System.Text.RegularExpressions.Regex.Replace(path, "{([^}]+)}", m =>
        {
            var name = m.Groups[1].Value;
            if (fuzzed is { } f && f.Name == name) return Uri.EscapeDataString(f.Value);
            return name switch
            {
                "orgCode" => _org,
                "pfaId" => "9001",
                _ when name.EndsWith("Id", StringComparison.Ordinal) || name == "id" => Guid.NewGuid().ToString(),
                _ => "x",
            };
        });

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
    private static string Show(string v) => v.Length > 20 ? $"<{v.Length} chars>" : v.Replace("\0", "\\0");
    private static string Truncate((string?, string Body) p) => p.Body.Length > 300 ? p.Body[..300] : p.Body;
}
