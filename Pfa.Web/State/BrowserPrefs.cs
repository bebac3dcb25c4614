using System.Text.Json;
using Microsoft.JSInterop;
using Pfa.Web.Api;

namespace Pfa.Web.State;

/// <summary>
/// Per-browser preferences in localStorage (filters per organization, grid columns). Only available once the circuit is
/// interactive (after the first render); unreadable or stale values read as "none", never as an error.
/// </summary>
public sealed class BrowserPrefs(IJSRuntime js)
{
    public static string FilterKey(string org) => $"pfa.filter.{org.ToUpperInvariant()}";
    public const string ColumnsKey = "pfa.columns.hidden";
    /// <summary>Grid column widths a user dragged, per user (two people sharing a browser keep their own).</summary>
    public static string WidthsKey(string? user) => $"pfa.columns.widths.{(user ?? "").ToLowerInvariant()}";

    public async Task<T?> GetAsync<T>(string key) where T : class
    {
        try
        {
            var json = await js.InvokeAsync<string?>("localStorage.getItem", key);
            return string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<T>(json, PfaApiClient.Json);
        }
        catch (Exception e) when (e is JSException or JsonException or InvalidOperationException or JSDisconnectedException or TaskCanceledException)
        {
            return null;
        }
    }

    public async Task SetAsync<T>(string key, T value)
    {
        try { await js.InvokeVoidAsync("localStorage.setItem", key, JsonSerializer.Serialize(value, PfaApiClient.Json)); }
        catch (Exception e) when (e is JSException or InvalidOperationException or JSDisconnectedException or TaskCanceledException) { }
    }

    /// <summary>A remembered filter without its paging/sort state (sort stays the grid's own).</summary>
    public async Task<GridQuery?> FilterForAsync(string org) => await GetAsync<GridQuery>(FilterKey(org));

    public Task RememberFilterAsync(string org, GridQuery query) => SetAsync(FilterKey(org), query);
}
