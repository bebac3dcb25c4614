using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Pfa.Data;

/// <summary>
/// One Data Protection key ring for the API and the worker: persisted in PostgreSQL (data_protection_keys) under one
/// application name, so what the API encrypts the worker can decrypt, on any replica.
/// </summary>
public static class PfaDataProtection
{
    public const string ApplicationName = "pfa-vanguard";

    public static IServiceCollection AddPfaDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToDbContext<PfaDbContext>();
        services.AddSingleton<PemsConnectionSecrets>();
        return services;
    }
}

/// <summary>Encrypts and decrypts PEMS passwords at rest; the plaintext never reaches the database or a log.</summary>
public sealed class PemsConnectionSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Pfa.PemsConnection.Password.v1");

    public string Protect(string password) => _protector.Protect(password);

    public string Unprotect(string protectedPassword) => _protector.Unprotect(protectedPassword);
}
