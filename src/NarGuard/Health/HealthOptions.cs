namespace NarGuard.Health;

/// <summary>Readiness (/readyz) settings ("Health" in the settings).</summary>
public sealed class HealthOptions
{
    /// <summary>
    /// How long the upstream and spool checks of /readyz are reused. Probes from a load balancer or kubelet then cost
    /// the upstream at most one nix-cache-info request per this interval, however often they come.
    /// </summary>
    public TimeSpan CheckCacheTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the readiness check waits for the upstream's nix-cache-info.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
