using NarGuard.Core.Spool;
using NarGuard.Core.Verification;

namespace NarGuard.Guards;

/// <summary>What the narinfo guard answers: the text to serve with 200, or the reason for a 404.</summary>
public sealed record NarInfoAnswer(string? Text, RejectReason? Reason, string? Detail, bool FromSpool)
{
    public static NarInfoAnswer NotFound(RejectReason reason, string? detail) => new(null, reason, detail, false);
}

/// <summary>What the NAR guard answers: a verified spool entry to serve with 200, or the reason for a 404.</summary>
public sealed record NarAnswer(SpoolEntry? Entry, RejectReason? Reason, string? Detail, bool SpoolHit)
{
    public static NarAnswer NotFound(RejectReason reason, string? detail) => new(null, reason, detail, false);
}
