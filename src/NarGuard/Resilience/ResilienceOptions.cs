namespace NarGuard.Resilience;

/// <summary>
/// Retries and the circuit breaker in front of the upstream ("Resilience" in the settings). Only the guards use
/// them: pass-through requests (pushes, nix-cache-info) go to the upstream untouched.
/// </summary>
public sealed class ResilienceOptions
{
    /// <summary>
    /// Extra attempts for a narinfo fetch that failed transiently (connection error, timeout, 5xx other than 501).
    /// Absent answers (404/403/410/401) are never retried. All attempts and delays share Timeouts:NarInfo.
    /// </summary>
    public int NarInfoRetries { get; set; } = 2;

    /// <summary>Base delay before the first retry; later retries back off exponentially, each with jitter.</summary>
    public TimeSpan NarInfoRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// One narinfo attempt gives up after this long, so that a hung connection leaves time for a retry inside
    /// Timeouts:NarInfo. Must not exceed Timeouts:NarInfo.
    /// </summary>
    public TimeSpan NarInfoAttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public CircuitOptions Circuit { get; set; } = new();
}

/// <summary>
/// The upstream circuit breaker ("Resilience:Circuit"). It samples narinfo fetches (one sample per fetch, retries
/// included), NAR opens and readiness probes; connection errors, timeouts and 5xx count as failures.
/// </summary>
public sealed class CircuitOptions
{
    /// <summary>False leaves the circuit closed for good (every request asks the upstream).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Share of failed calls within <see cref="SamplingDuration"/> that opens the circuit (0 &lt; x ≤ 1).</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed within <see cref="SamplingDuration"/> before the ratio is judged (at least 2).</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>The sliding window of calls the ratio is computed over (at least 0.5 s).</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one call is let through to probe recovery (at least 0.5 s).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
