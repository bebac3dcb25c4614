using Pfa.ServiceDefaults;

namespace Pfa.Tests.Publishing;

/// <summary><c>Deploy:Sso=true</c>: azd asks for the OpenID Connect issuer, client id and secret; the secret reaches only the web, by reference.</summary>
public sealed class SingleSignOnPublishTests
{
    [Fact]
    public async Task Sso_parameters_reach_the_api_and_the_web_and_the_secret_stays_a_reference()
    {
        var secrets = new Dictionary<string, string>(ManifestFixture.SentinelSecrets) { ["Parameters__oidc-client-secret"] = "SentinelOidcSecret-4Hn6" };
        using var run = await PublishRun.StartAsync(new Dictionary<string, string>(secrets) { ["Deploy__Sso"] = "true" });
        Assert.True(run.Result.ExitCode == 0, run.Result.Output);
        var resources = run.Manifest!["resources"]!.AsObject();

        Assert.True((bool?)resources["oidc-client-secret"]!["inputs"]!["value"]!["secret"]);
        Assert.Null(resources["oidc-authority"]!["inputs"]!["value"]!["default"]); // asked for
        var web = resources[PfaResources.Web]!["env"]!.AsObject();
        Assert.Equal("{oidc-authority.value}", (string?)web["Authentication__Oidc__Authority"]);
        Assert.Equal("{oidc-client-id.value}", (string?)web["Authentication__Oidc__ClientId"]);
        Assert.Equal("{oidc-client-secret.value}", (string?)web["Authentication__Oidc__ClientSecret"]);
        var api = resources[PfaResources.Api]!["env"]!.AsObject();
        Assert.Equal("{oidc-authority.value}", (string?)api["Authentication__Oidc__Authority"]);
        Assert.Null(api["Authentication__Oidc__ClientSecret"]); // the API validates tokens: it needs no secret

        Assert.Empty(ManifestRules.UnsupportedTypes(resources));
        Assert.Empty(ManifestRules.UnresolvedReferences(resources, run.OutputDirectory));
        Assert.Empty(ManifestRules.SecretsInClear(resources, secrets.Values, run.PublishedFiles().Select(File.ReadAllText)));
    }
}
