using NarGuard.Resilience;

namespace NarGuard.Configuration;

/// <summary>Per-upstream overrides of Resilience:Circuit: null means "the top-level value". Each upstream has its own circuit state either way.</summary>
public sealed class UpstreamCircuitOptions
{
    public bool? Enabled { get; set; }
    public double? FailureRatio { get; set; }
    public int? MinimumThroughput { get; set; }
    public TimeSpan? SamplingDuration { get; set; }
    public TimeSpan? BreakDuration { get; set; }

    public CircuitOptions Over(CircuitOptions defaults) => new()
    {
        Enabled = Enabled ?? defaults.Enabled,
        FailureRatio = FailureRatio ?? defaults.FailureRatio,
        MinimumThroughput = MinimumThroughput ?? defaults.MinimumThroughput,
        SamplingDuration = SamplingDuration ?? defaults.SamplingDuration,
        BreakDuration = BreakDuration ?? defaults.BreakDuration,
    };
}
