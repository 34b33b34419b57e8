using NarGuard.Core.Verification;

namespace NarGuard.Check;

/// <summary>
/// The verdict on one store path. <see cref="Reason"/> is null when the NAR arrived whole and matched its narinfo;
/// otherwise it is the same reason the proxy would have answered 404 for, so a check and the proxy's metrics speak
/// the same language.
/// </summary>
/// <param name="StoreHash">The 32-character hash part.</param>
/// <param name="StorePath">The full store path: from the narinfo, else from the input or the referrer, else null.</param>
/// <param name="NarSize">NarSize the narinfo advertises (null without a narinfo).</param>
/// <param name="Bytes">Compressed bytes received for the NAR body.</param>
/// <param name="NarBytes">Decompressed NAR bytes produced before the verdict.</param>
/// <param name="Elapsed">Time of the NAR fetch and verification (of the narinfo fetch, when that failed).</param>
/// <param name="UpstreamStatus">Status of the last answer that decided the verdict (after redirects), if any.</param>
/// <param name="Redirects">Redirects followed to reach the NAR body.</param>
/// <param name="Detail">Why, in a few words; never a token or a presigned URL.</param>
public sealed record PathCheckResult(
    string StoreHash,
    string? StorePath,
    RejectReason? Reason,
    long? NarSize,
    long Bytes,
    long NarBytes,
    TimeSpan Elapsed,
    int? UpstreamStatus,
    int Redirects,
    string? Detail)
{
    public const string OkStatus = "ok";

    public bool IsOk => Reason is null;

    /// <summary>"ok", or the reason's metric label (empty, truncated, hash_mismatch, ...).</summary>
    public string Status => Reason?.Label() ?? OkStatus;

    /// <summary>The store path when known, else the bare hash: what a report names the path by.</summary>
    public string DisplayName => StorePath ?? StoreHash;

    /// <summary>Received bytes per second in MiB/s; null when nothing was received or no time could be measured.</summary>
    public double? ThroughputMiBps => Bytes > 0 && Elapsed > TimeSpan.Zero ? Bytes / Elapsed.TotalSeconds / (1024 * 1024) : null;
}
