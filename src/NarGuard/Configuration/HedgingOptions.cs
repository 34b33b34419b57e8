namespace NarGuard.Configuration;

/// <summary>How the narinfo lookup across several upstreams hedges.</summary>
public sealed class HedgingOptions
{
    /// <summary>
    /// When the upstream being asked for a narinfo has not answered after this long, the next one is asked too, and
    /// the first acceptable answer wins (the others are cancelled). Zero (the default) never hedges: the next upstream
    /// is asked only once the previous one answered "no" (404, error, quarantined NAR). Off by default because a
    /// hedged request doubles the load on the public cache for every slow answer of the first, and because a
    /// hedged answer from a later upstream routes the NAR there too; turn it on when the first upstream is often slow.
    /// </summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;
}
