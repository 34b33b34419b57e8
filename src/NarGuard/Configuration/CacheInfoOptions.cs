namespace NarGuard.Configuration;

/// <summary>
/// The nix-cache-info NarGuard answers itself. With several upstreams there is no one upstream's file to pass
/// through, and what the client must know (the store directory) has to agree across all of them: at start, every
/// reachable upstream's StoreDir is compared with <see cref="StoreDir"/>, and a conflict stops the program.
/// </summary>
public sealed class CacheInfoOptions
{
    /// <summary>The store directory every upstream must serve. Default /nix/store.</summary>
    public string StoreDir { get; set; } = "/nix/store";

    /// <summary>Substituter priority (lower is preferred by Nix). Default 40, cache.nixos.org's.</summary>
    public int Priority { get; set; } = 40;

    /// <summary>Whether Nix may query many paths at once (e.g. nix-env -qas). Default true.</summary>
    public bool WantMassQuery { get; set; } = true;
}
