using NarGuard.Upstream;

namespace NarGuard.Guards;

/// <summary>What one upstream said about a narinfo. <paramref name="Asked"/> is false when it was not asked at all
/// (its NAR is quarantined, or its storage is failing), which says nothing about whether the upstream is up.</summary>
public sealed record NarInfoAttempt(UpstreamMember Member, NarInfoFetch Fetch, bool Asked)
{
    public bool Acceptable => Fetch.Info is not null;
}
