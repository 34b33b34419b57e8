using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;

namespace NarGuard.Upstream;

/// <summary>The result of asking the upstream for a narinfo: the parsed narinfo, or why there is none.</summary>
public sealed record NarInfoFetch(NarInfo? Info, RejectReason? Reason, int? Status, string? Detail)
{
    /// <summary>The upstream said the path is not there (404/403/410), as opposed to failing to answer.</summary>
    public bool IsAbsent => Status is 404 or 403 or 410;

    /// <summary>The upstream could not give a trustworthy answer (5xx, timeout, connection failure, garbage).</summary>
    public bool IsFailure => Info is null && !IsAbsent;

    public static NarInfoFetch Ok(NarInfo info) => new(info, null, 200, null);
}
