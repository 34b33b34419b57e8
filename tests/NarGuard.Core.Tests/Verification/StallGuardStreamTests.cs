using NarGuard.Core.Verification;
using Xunit;

namespace NarGuard.Core.Tests.Verification;

public class StallGuardStreamTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();

    [Fact]
    public async Task Passes_every_byte_through()
    {
        await using var guarded = new StallGuardStream(new ScriptedBody(Data) { MaxChunk = 333, YieldEachRead = true }, TimeSpan.FromSeconds(5));
        var copy = new MemoryStream();

        await guarded.CopyToAsync(copy);

        Assert.Equal(Data, copy.ToArray());
    }

    [Fact]
    public void Synchronous_reads_pass_through_too()
    {
        using var guarded = new StallGuardStream(new ScriptedBody(Data) { MaxChunk = 1000 }, TimeSpan.FromSeconds(5));
        var copy = new MemoryStream();

        guarded.CopyTo(copy);

        Assert.Equal(Data, copy.ToArray());
    }

    [Fact]
    public async Task A_silent_upstream_times_out_when_the_clock_passes_the_stall_timeout()
    {
        var time = new ManualTimeProvider();
        await using var guarded = new StallGuardStream(new ScriptedBody(Data) { StallAt = 0 }, TimeSpan.FromSeconds(30), time);

        var read = guarded.ReadAsync(new byte[100]).AsTask();
        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(20);
        Assert.False(read.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => read);
        Assert.Equal("no byte for 30s", ex.Message);
    }

    [Fact]
    public async Task The_timer_restarts_with_every_read()
    {
        // Many reads over a total time far beyond the timeout: only the silence of one read counts.
        var time = new ManualTimeProvider();
        await using var guarded = new StallGuardStream(new ScriptedBody(Data) { MaxChunk = 100 }, TimeSpan.FromSeconds(30), time);
        var buffer = new byte[100];
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(100, await guarded.ReadAsync(buffer));
            time.Advance(TimeSpan.FromSeconds(20));
        }
        Assert.True(time.ActiveTimers <= 1);
    }

    [Fact]
    public async Task A_real_200_ms_stall_times_out()
    {
        await using var guarded = new StallGuardStream(new ScriptedBody(Data) { StallAt = 500 }, TimeSpan.FromMilliseconds(200));
        var buffer = new byte[1000];
        Assert.Equal(500, await guarded.ReadAsync(buffer));

        await Assert.ThrowsAsync<TimeoutException>(() => guarded.ReadAsync(buffer).AsTask());
    }

    [Fact]
    public async Task Caller_cancellation_is_OperationCanceledException_with_the_callers_token()
    {
        var time = new ManualTimeProvider();
        using var cts = new CancellationTokenSource();
        await using var guarded = new StallGuardStream(new ScriptedBody(Data) { StallAt = 0 }, TimeSpan.FromSeconds(30), time);

        var read = guarded.ReadAsync(new byte[100], cts.Token).AsTask();
        cts.Cancel();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public void Rejects_a_timeout_that_is_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StallGuardStream(Stream.Null, TimeSpan.Zero));
    }
}
