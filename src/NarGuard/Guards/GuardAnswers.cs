using NarGuard.Core.Spool;
using NarGuard.Core.Verification;

namespace NarGuard.Guards;

/// <summary>What the narinfo guard answers: the text to serve with 200, or the reason for a 404.</summary>
/// <param name="Upstream">The upstream whose narinfo is served (null from the spool or for a 404).</param>
public sealed record NarInfoAnswer(string? Text, RejectReason? Reason, string? Detail, bool FromSpool, string? Upstream = null)
{
    public static NarInfoAnswer NotFound(RejectReason reason, string? detail) => new(null, reason, detail, false);
}

/// <summary>What the NAR guard answers: a verified spool entry to serve with 200, or the reason for a 404.</summary>
/// <param name="Upstream">The upstream that supplied the verified bytes (after a failover, not the one the client's URL names).</param>
public sealed record NarAnswer(SpoolEntry? Entry, RejectReason? Reason, string? Detail, bool SpoolHit, string? Upstream = null)
{
    public static NarAnswer NotFound(RejectReason reason, string? detail) => new(null, reason, detail, false);
}
