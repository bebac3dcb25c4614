using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pfa.Pems;
using Pfa.PemsSimulator;

namespace Pfa.Tests.Pems;

/// <summary>The simulator in-process, reached only through the real <see cref="PemsClient"/> (and the admin API).</summary>
public sealed class SimulatorHost(IDictionary<string, string?>? settings = null) : WebApplicationFactory<PemsSimulatorMarker>
{
    public const string Tenant = "TEST_TENANT";
    public const string User = "PFA_TEST";
    public const string Password = "s3cret";

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["PemsSimulator:Seed"] = "42",
        ["PemsSimulator:Organizations:0"] = "RIO",
        ["PemsSimulator:Organizations:1"] = "PORTARTHUR",
        ["PemsSimulator:RecordsPerOrganization"] = "120",
        ["PemsSimulator:Tenant"] = Tenant,
        ["PemsSimulator:UserName"] = User,
        ["PemsSimulator:Password"] = Password,
        ["PemsSimulator:Faults:TimeoutHangMs"] = "10000",
    };

    public SimulatorHost With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    private TimeProvider? _time;

    /// <summary>Replaces the simulator's clock, for rate-limit windows and edit stamps that must not depend on timing.</summary>
    public SimulatorHost WithTime(TimeProvider time)
    {
        _time = time;
        return this;
    }

    public SimulatorHost Without(string key)
    {
        _settings.Remove(key);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) _settings[k] = v;
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
        if (_time is { } time) builder.ConfigureTestServices(services => services.AddSingleton(time));
    }

    /// <summary>Counts every HTTP attempt the client makes, to prove retries happen (or do not).</summary>
    public AttemptCounter Attempts { get; } = new();

    /// <param name="outer">A handler in front of the attempt counter, e.g. the worker's PEMS throttle.</param>
    public PemsClient CreatePemsClient(Action<PemsClientOptions>? configure = null, DelegatingHandler? outer = null,
        Microsoft.Extensions.Logging.ILogger<PemsClient>? logger = null)
    {
        var http = outer is null ? CreateDefaultClient(new CountingHandler(Attempts)) : CreateDefaultClient(outer, new CountingHandler(Attempts));
        http.Timeout = Timeout.InfiniteTimeSpan;
        var options = new PemsClientOptions
        {
            BaseAddress = new Uri(http.BaseAddress!, "axis/restservices/"),
            Tenant = Tenant,
            UserName = User,
            Password = Password,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            MaxDelay = TimeSpan.FromMilliseconds(5),
            MaxAttempts = 5,
            AttemptTimeout = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return new PemsClient(http, options, logger);
    }

    public async Task QueueFaultsAsync(params string[] faults)
    {
        using var admin = CreateClient();
        var response = await admin.PostAsJsonAsync("/admin/faults/queue", faults, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public sealed class AttemptCounter
    {
        private int _count;
        public int Count => _count;
        public void Reset() => Interlocked.Exchange(ref _count, 0);
        public void Increment() => Interlocked.Increment(ref _count);
    }

    /// <summary>A handler instance can serve one HttpClient only, so each client gets its own over a shared counter.</summary>
    private sealed class CountingHandler(AttemptCounter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri?.AbsolutePath.StartsWith("/axis", StringComparison.Ordinal) == true) counter.Increment();
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A clock that only moves when told to.</summary>
    public sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
