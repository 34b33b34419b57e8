namespace NarGuard.Core.Verification;

/// <summary>
/// The outcome of one verification pass. <see cref="Reason"/> is null when the body is intact.
/// Sizes are what actually arrived; <see cref="ActualNarHash"/> is set when the whole NAR was hashed.
/// </summary>
public sealed record VerificationResult(
    RejectReason? Reason,
    long CompressedBytes,
    long NarBytes,
    string? ActualNarHash,
    string? Detail)
{
    public bool IsValid => Reason is null;
}
