using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Caching.Memory;

namespace Pfa.Web.Auth;

/// <summary>Keeps authentication tickets (and so the API token) on the server; the browser's cookie holds only a random key.</summary>
public sealed class MemoryTicketStore(IMemoryCache cache) : ITicketStore
{
    private const string Prefix = "pfa-ticket:";

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Put(key, ticket);
        return Task.FromResult(key);
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        Put(key, ticket);
        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) =>
        Task.FromResult(cache.TryGetValue(Prefix + key, out AuthenticationTicket? t) ? t : null);

    public Task RemoveAsync(string key)
    {
        cache.Remove(Prefix + key);
        return Task.CompletedTask;
    }

    private void Put(string key, AuthenticationTicket ticket)
    {
        var options = new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromHours(8) };
        if (ticket.Properties.ExpiresUtc is { } expires) options.AbsoluteExpiration = expires;
        cache.Set(Prefix + key, ticket, options);
    }
}
