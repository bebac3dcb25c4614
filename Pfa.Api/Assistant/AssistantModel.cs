using System.ClientModel;
using System.Data.Common;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Pfa.Api.Assistant;

/// <summary>
/// The language model behind the assistant, when one is configured: <c>ConnectionStrings:ai</c> =
/// <c>Endpoint=…;Key=…;Model=…</c> of any OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI's <c>/openai/v1/</c>,
/// Ollama's <c>/v1</c>). The AppHost passes it only when its own <c>ConnectionStrings:ai</c> is set.
/// </summary>
public sealed class AssistantModel(IChatClient? client)
{
    public const string ConnectionName = Pfa.ServiceDefaults.PfaResources.Ai;
    public const string HowToConfigure =
        "No language model is configured. Set the AppHost's connection string 'ai' (dotnet user-secrets set ConnectionStrings:ai " +
        "\"Endpoint=https://api.openai.com/v1;Key=…;Model=gpt-4o-mini\" in Pfa.AppHost; any OpenAI-compatible endpoint works, " +
        "e.g. Azure OpenAI's https://<resource>.openai.azure.com/openai/v1/ or Ollama's http://localhost:11434/v1) and restart.";
    /// <summary>A longer answer than this is not a query.</summary>
    public const int MaxAnswerChars = 16_000;

    public bool IsConfigured => client is not null;

    /// <summary>Only the question, the field vocabulary and today's date go to the model: no line of any organization.</summary>
    public async Task<string> AskAsync(string question, string organization, DateOnly today, CancellationToken ct)
    {
        var response = await client!.GetResponseAsync(
            [new ChatMessage(ChatRole.System, AssistantPrompt.System(organization, today)), new ChatMessage(ChatRole.User, question)],
            new ChatOptions
            {
                ResponseFormat = ChatResponseFormat.ForJsonSchema(AssistantPlanJson.Schema, "pfa_query", "A query over the user's PFA lines."),
                Temperature = 0,
                MaxOutputTokens = 1000,
            }, ct);
        return response.Text;
    }
}

public static class AssistantModelExtensions
{
    /// <summary>
    /// The configured model, or, without <c>ConnectionStrings:ai</c>, whatever <see cref="IChatClient"/> is registered (none in
    /// production: the assistant then says how to configure one; a scripted one in tests).
    /// </summary>
    public static IServiceCollection AddAssistantModel(this IServiceCollection services, IConfiguration configuration)
    {
        var connection = configuration.GetConnectionString(AssistantModel.ConnectionName);
        if (!string.IsNullOrWhiteSpace(connection))
        {
            var parts = new DbConnectionStringBuilder { ConnectionString = connection };
            string? Part(string key) => parts.TryGetValue(key, out var v) ? v?.ToString() : null;
            var endpoint = Part("Endpoint") ?? throw new InvalidOperationException("ConnectionStrings:ai needs Endpoint=…");
            var model = Part("Model") ?? Part("Deployment") ?? throw new InvalidOperationException("ConnectionStrings:ai needs Model=…");
            // Ollama needs no key; the OpenAI client insists on one. Its HTTP calls are traced by the HttpClient instrumentation.
            var key = Part("Key") ?? "none";
            services.AddChatClient(_ => new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(endpoint) })
                .GetChatClient(model).AsIChatClient());
        }
        return services.AddSingleton(sp => new AssistantModel(sp.GetService<IChatClient>()));
    }
}
