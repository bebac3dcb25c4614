namespace Pfa.AppHost.Hosting;

/// <summary>
/// Publish mode, opt-in with <c>Deploy:Sso=true</c>: single sign-on through an OpenID Connect issuer (Microsoft Entra ID in
/// docs/deploy.md). azd asks for the issuer, the app registration's client id and its secret (a secure parameter, handed to
/// the web as a Container Apps secret); the API gets the issuer and client id to accept its tokens. Off by default, so a
/// deployment without SSO is asked nothing. Run mode: give the Web and API processes <c>Authentication__Oidc__*</c> environment variables (docs/deploy.md).
/// </summary>
public static class SingleSignOn
{
    public const string SettingKey = "Deploy:Sso";
    public const string Authority = "oidc-authority", ClientId = "oidc-client-id", ClientSecret = "oidc-client-secret",
        DisplayName = "oidc-display-name", TrustEmail = "oidc-trust-email";

    public static void AddSingleSignOnParameters(this IDistributedApplicationBuilder builder,
        IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> web)
    {
        if (!builder.ExecutionContext.IsPublishMode || builder.Configuration[SettingKey] != "true") return;
        var authority = builder.AddParameter(Authority);
        var clientId = builder.AddParameter(ClientId);
        var clientSecret = builder.AddParameter(ClientSecret, secret: true);
        var displayName = builder.AddParameter(DisplayName, "Microsoft", publishValueAsDefault: true);
        var trustEmail = builder.AddParameter(TrustEmail, "false", publishValueAsDefault: true);
        api.WithEnvironment("Authentication__Oidc__Authority", authority)
            .WithEnvironment("Authentication__Oidc__ClientId", clientId)
            .WithEnvironment("Authentication__Oidc__TrustEmail", trustEmail);
        web.WithEnvironment("Authentication__Oidc__Authority", authority)
            .WithEnvironment("Authentication__Oidc__ClientId", clientId)
            .WithEnvironment("Authentication__Oidc__ClientSecret", clientSecret)
            .WithEnvironment("Authentication__Oidc__DisplayName", displayName);
    }
}
