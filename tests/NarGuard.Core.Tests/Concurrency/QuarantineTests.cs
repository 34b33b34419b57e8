using NarGuard.Core.Concurrency;
using NarGuard.Core.Verification;
using Xunit;

namespace NarGuard.Core.Tests.Concurrency;

public sealed class QuarantineTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 5, 6, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Entry_holds_its_reason_until_the_ttl_passes()
    {
        var time = new ManualTime();
        var quarantine = new Quarantine(TimeSpan.FromSeconds(60), time);
        quarantine.Add("a", RejectReason.Empty);

        Assert.True(quarantine.TryGet("a", out var reason));
        Assert.Equal(RejectReason.Empty, reason);
        Assert.False(quarantine.TryGet("b", out _));
        Assert.Equal(1, quarantine.Count);

        time.Now += TimeSpan.FromSeconds(59);
        Assert.True(quarantine.TryGet("a", out _));
        time.Now += TimeSpan.FromSeconds(1);
        Assert.False(quarantine.TryGet("a", out _));
        Assert.Equal(0, quarantine.Count);
    }

    [Fact]
    public void Zero_ttl_disables_quarantine()
    {
        var quarantine = new Quarantine(TimeSpan.Zero);
        quarantine.Add("a", RejectReason.Truncated);
        Assert.False(quarantine.TryGet("a", out _));
    }
}
