using NarGuard.Core.Concurrency;
using Xunit;

namespace NarGuard.Core.Tests.Concurrency;

public sealed class SingleFlightTests
{
    [Fact]
    public async Task Concurrent_callers_share_one_run_including_late_joiners()
    {
        var flights = new SingleFlight<string, int>();
        var gate = new TaskCompletionSource();
        var runs = 0;
        Task<int> Work(string _) => Interlocked.Increment(ref runs) == 1 ? gate.Task.ContinueWith(_ => 42) : Task.FromResult(-1);

        var first = flights.RunAsync("k", Work, out var firstJoined);
        var second = flights.RunAsync("k", Work, out var secondJoined);
        await Task.Delay(20);
        var late = flights.RunAsync("k", Work, out var lateJoined);
        gate.SetResult();

        var results = await Task.WhenAll(first, second, late);
        Assert.Equal(new[] { 42, 42, 42 }, results);
        Assert.False(firstJoined);
        Assert.True(secondJoined);
        Assert.True(lateJoined);
        Assert.Equal(1, runs);
        Assert.Equal(0, flights.Count);
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_shared_work()
    {
        var flights = new SingleFlight<string, int>();
        var gate = new TaskCompletionSource();
        using var impatient = new CancellationTokenSource();
        var abandoned = flights.RunAsync("k", _ => gate.Task.ContinueWith(_ => 7), out _, impatient.Token);
        var patient = flights.RunAsync("k", _ => Task.FromResult(-1), out _);
        impatient.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        gate.SetResult();
        Assert.Equal(7, await patient);
    }

    [Fact]
    public async Task A_failed_run_is_not_cached_and_the_next_call_runs_again()
    {
        var flights = new SingleFlight<string, int>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => flights.RunAsync("k", _ => throw new InvalidOperationException(), out _));
        Assert.Equal(5, await flights.RunAsync("k", _ => Task.FromResult(5), out var joined));
        Assert.False(joined);
    }

    [Fact]
    public async Task Different_keys_run_independently()
    {
        var flights = new SingleFlight<string, string>();
        var gate = new TaskCompletionSource<string>();
        var blocked = flights.RunAsync("a", _ => gate.Task, out _);
        Assert.Equal("b", await flights.RunAsync("b", k => Task.FromResult(k), out _));
        Assert.False(blocked.IsCompleted);
        gate.SetResult("a");
        Assert.Equal("a", await blocked);
    }
}
