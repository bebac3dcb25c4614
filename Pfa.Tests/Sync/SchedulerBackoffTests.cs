using Pfa.SyncWorker;

namespace Pfa.Tests.Sync;

/// <summary>The scheduler's wait between passes: the poll interval, doubled per consecutive failure up to a cap.</summary>
public sealed class SchedulerBackoffTests
{
    [Fact]
    public void A_good_pass_waits_the_poll_interval()
        => Assert.Equal(TimeSpan.FromSeconds(5), SyncScheduler.RetryDelay(TimeSpan.FromSeconds(5), failures: 0));

    [Fact]
    public void Consecutive_failures_double_the_wait_up_to_the_cap()
    {
        var poll = TimeSpan.FromSeconds(5);
        Assert.Equal([5, 10, 20, 40, 60, 60], Enumerable.Range(1, 6).Select(n => SyncScheduler.RetryDelay(poll, n).TotalSeconds));
        Assert.Equal(SyncScheduler.MaxRetryDelay, SyncScheduler.RetryDelay(poll, 10_000));
    }

    [Fact]
    public void A_poll_interval_longer_than_the_cap_is_kept()
        => Assert.Equal(TimeSpan.FromMinutes(5), SyncScheduler.RetryDelay(TimeSpan.FromMinutes(5), failures: 3));
}
