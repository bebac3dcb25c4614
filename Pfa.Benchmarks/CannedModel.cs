using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pfa.Benchmarks;

/// <summary>
/// A tiny OpenAI-compatible chat endpoint in the benchmark process (Kestrel, loopback) for the assistant workload: it answers
/// every chat completion at once with the plan set in <see cref="Plan"/> and notes when it sent the answer, so the time from
/// the model's answer to the API's finished result is the API's own work (<see cref="AnsweredAt"/>). The API reaches it
/// through its real model wiring (<c>ConnectionStrings__ai</c>, Microsoft.Extensions.AI.OpenAI).
/// </summary>
public sealed class CannedModel : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _answeredAt;

    /// <summary>The structured plan (JSON text) the next answer carries.</summary>
    public string Plan { get; set; } = """{"kind":"unsupported"}""";

    /// <summary><see cref="Stopwatch.GetTimestamp"/> just before the last answer's body was written.</summary>
    public long AnsweredAt => Interlocked.Read(ref _answeredAt);

    public string ConnectionString => $"Endpoint={_app.Urls.First()}/v1;Key=bench;Model=bench-canned";

    private CannedModel(WebApplication app) => _app = app;

    public static async Task<CannedModel> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var model = new CannedModel(app);
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var answer = new JsonObject
            {
                ["id"] = "chatcmpl-bench", ["object"] = "chat.completion", ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["model"] = "bench-canned",
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = model.Plan },
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
            };
            Interlocked.Exchange(ref model._answeredAt, Stopwatch.GetTimestamp());
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(answer.ToJsonString());
        });
        await app.StartAsync(ct);
        return model;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
