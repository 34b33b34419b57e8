namespace NarGuard.Canary;

/// <summary>
/// The background canary ("Canary" in the settings): the proxy runs `narguard check` on a few known store paths on a
/// schedule, straight against the upstream, so a cache that starts serving broken bodies shows on the dashboard and
/// in /readyz before a builder pays for it. Nothing runs unless <see cref="StoreHashes"/> is set.
/// </summary>
public sealed class CanaryOptions
{
    /// <summary>Store hashes or full store paths to check (pick a few paths every builder needs).</summary>
    public List<string> StoreHashes { get; set; } = [];

    /// <summary>Time between two runs.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>NARs checked at once.</summary>
    public int Concurrency { get; set; } = 2;
}
