using Pfa.Pems;
using Pfa.Pems.Grid;
using Pfa.Pems.Uds;

namespace Pfa.Tests.Pems;

/// <summary>Injected faults against the client's retry policy: transient faults are retried, bounded, then reported.</summary>
public class SimulatorFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<int> CountRowsAsync(PemsClient client, string org)
    {
        var rows = 0;
        await foreach (var page in client.ReadGridPagesAsync(org, null, Ct)) rows += page.Rows.Count;
        return rows;
    }

    [Fact]
    public async Task Rate_limit_server_errors_and_garbled_bodies_are_retried_until_the_page_arrives_whole()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient(o => o.MaxAttempts = 6);
        await sim.QueueFaultsAsync("429", "503", "truncate", "malformed", "500");

        Assert.Equal(120, await CountRowsAsync(client, "RIO"));
        Assert.Equal(6, sim.Attempts.Count);
    }

    [Fact]
    public async Task Attempts_are_bounded_and_the_last_failure_is_reported_with_pems_message()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient(o => o.MaxAttempts = 3);
        await sim.QueueFaultsAsync("503", "503", "503", "503");

        var ex = await Assert.ThrowsAsync<PemsException>(() => CountRowsAsync(client, "RIO"));

        Assert.Equal(PemsFailureKind.ServerError, ex.Kind);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, sim.Attempts.Count);
        Assert.Contains("simulated", ex.PemsMessage);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task A_hung_request_times_out_and_the_retry_succeeds()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient(o => o.AttemptTimeout = TimeSpan.FromMilliseconds(300));
        // Warm up first: a cold simulator (start-up, JIT) on a loaded box can need more than 300 ms for the retry itself.
        await client.GetOrganizationsAsync(Ct);
        sim.Attempts.Reset();
        await sim.QueueFaultsAsync("timeout");

        var orgs = await client.GetOrganizationsAsync(Ct);

        Assert.Equal(2, orgs.Count);
        Assert.Equal(2, sim.Attempts.Count);
    }

    [Fact]
    public async Task Truncated_body_every_time_ends_as_malformed_response()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient(o => o.MaxAttempts = 2);
        await sim.QueueFaultsAsync("truncate", "truncate");

        var ex = await Assert.ThrowsAsync<PemsException>(() => CountRowsAsync(client, "RIO"));
        Assert.Equal(PemsFailureKind.MalformedResponse, ex.Kind);
        Assert.Equal(2, ex.Attempts);
    }

    [Fact]
    public async Task Add_is_not_repeated_after_an_ambiguous_failure_but_is_after_a_429()
    {
        await using var sim = new SimulatorHost();
        var client = sim.CreatePemsClient();
        UdsFieldValuePair[] fields = [new("PFS_F_CATEGORY", UdsFieldValue.Text("06500"))];

        await sim.QueueFaultsAsync("503");
        var ex = await Assert.ThrowsAsync<PemsException>(() => client.AddRecordAsync("RIO", fields, Ct));
        Assert.Equal(1, ex.Attempts);

        sim.Attempts.Reset();
        await sim.QueueFaultsAsync("429");
        await client.AddRecordAsync("RIO", fields, Ct);
        Assert.Equal(2, sim.Attempts.Count);
        Assert.Equal(121, await client.CountGridAsync("RIO", cancellationToken: Ct));
    }

    [Fact]
    public async Task Configured_rate_limit_answers_429_above_the_rate_within_one_second()
    {
        var time = new SimulatorHost.ManualTime(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero));
        await using var sim = new SimulatorHost().With("PemsSimulator:Faults:RateLimitPerSecond", "2").WithTime(time);
        var client = sim.CreatePemsClient(o => o.MaxAttempts = 1);

        async Task<bool> Limited()
        {
            try { await client.GetOrganizationsAsync(Ct); return false; }
            catch (PemsException ex) when (ex.Kind == PemsFailureKind.RateLimited) { return true; }
        }

        var outcomes = new List<bool>();
        for (var i = 0; i < 4; i++) outcomes.Add(await Limited());
        Assert.Equal([false, false, true, true], outcomes);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await Limited());
    }

    [Fact]
    public async Task Rate_limited_call_is_retried_after_back_off()
    {
        var time = new SimulatorHost.ManualTime(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero));
        await using var sim = new SimulatorHost().With("PemsSimulator:Faults:RateLimitPerSecond", "1").WithTime(time);
        var client = sim.CreatePemsClient(o => o.MaxAttempts = 3);
        await client.GetOrganizationsAsync(Ct);

        var ex = await Assert.ThrowsAsync<PemsException>(() => client.GetOrganizationsAsync(Ct));

        Assert.Equal(PemsFailureKind.RateLimited, ex.Kind);
        Assert.Equal(3, ex.Attempts);
        Assert.Contains("Too many requests", ex.PemsMessage);
    }

    [Fact]
    public async Task Health_stays_up_and_is_not_subject_to_faults()
    {
        await using var sim = new SimulatorHost().With("PemsSimulator:Faults:ServerErrorRatio", "1");
        using var http = sim.CreateClient();
        var response = await http.GetAsync("/health", Ct);
        Assert.True(response.IsSuccessStatusCode);
        var ex = await Assert.ThrowsAsync<PemsException>(() => sim.CreatePemsClient(o => o.MaxAttempts = 2).GetOrganizationsAsync(Ct));
        Assert.Equal(PemsFailureKind.ServerError, ex.Kind);
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_is_capped()
    {
        var options = new PemsClientOptions
        {
            BaseAddress = new Uri("http://pems.invalid/"),
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromMilliseconds(1000),
        };
        var client = new PemsClient(new HttpClient(), options);
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(client.BackoffDelay(1, null).TotalMilliseconds, 50, 100);
            Assert.InRange(client.BackoffDelay(3, null).TotalMilliseconds, 200, 400);
            Assert.InRange(client.BackoffDelay(10, null).TotalMilliseconds, 500, 1000);
            Assert.InRange(client.BackoffDelay(1, TimeSpan.FromMilliseconds(700)).TotalMilliseconds, 700, 700);
        }
        var spread = Enumerable.Range(0, 50).Select(_ => client.BackoffDelay(4, null)).Distinct().Count();
        Assert.True(spread > 1, "jitter spreads retries");
    }
}
