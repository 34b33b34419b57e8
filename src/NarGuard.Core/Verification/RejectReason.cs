namespace NarGuard.Core.Verification;

/// <summary>
/// Why a NAR (or its narinfo) was not served. Every value becomes a 404 for the client; the snake_case
/// label (<see cref="RejectReasonExtensions.Label"/>) is the metric label and the log field.
/// </summary>
public enum RejectReason
{
    /// <summary>The upstream answered 200 but sent no byte (the incident).</summary>
    Empty,
    /// <summary>The body ended or broke before the NAR was complete.</summary>
    Truncated,
    /// <summary>NarHash (or FileHash) of the bytes differs from the narinfo.</summary>
    HashMismatch,
    /// <summary>NarSize (or FileSize) of the bytes differs from the narinfo, including a decompression bomb.</summary>
    SizeMismatch,
    /// <summary>The body is not valid data of the narinfo's Compression.</summary>
    DecompressError,
    /// <summary>The upstream answered a status other than 200 (or a redirect it followed did).</summary>
    UpstreamStatus,
    /// <summary>The upstream could not be reached, or reset the connection before any body.</summary>
    UpstreamError,
    /// <summary>No byte arrived for the stall timeout, or the whole fetch took too long.</summary>
    Timeout,
    /// <summary>A redirect pointed at a host or scheme not on the allow-list, or there were too many.</summary>
    RedirectDenied,
    /// <summary>The NAR failed recently and is quarantined.</summary>
    Quarantined,
    /// <summary>The narinfo that describes this NAR is missing, unparsable or does not match the request.</summary>
    NarInfoInvalid,
    /// <summary>The narinfo names a compression NarGuard cannot check.</summary>
    UnsupportedCompression,
    /// <summary>The verified bytes could not be written to the spool (disk full, permissions).</summary>
    SpoolError,
    /// <summary>The upstream circuit breaker is open: the upstream failed repeatedly and is not asked until it half-opens.</summary>
    CircuitOpen,
    /// <summary>The storage probe (bucket index behind Attic) is failing, and this path is not in the spool.</summary>
    StorageUnhealthy,
    /// <summary>NarGuard itself failed while answering (an I/O error reading the spool, a bug): a 404 with evidence, never a 5xx.</summary>
    InternalError,
    /// <summary>The path was pushed through the proxy and its read-back failed: held until a read-back verifies it.</summary>
    PublicationHold,
    /// <summary>The NAR URL names an upstream that is not configured (renamed or removed since the client got the narinfo).</summary>
    UnknownUpstream,
    /// <summary>A Range request whose bytes would come from another upstream's copy, which is not provably the same file (no equal FileHash).</summary>
    RangeUnprovable,
}

public static class RejectReasonExtensions
{
    public static string Label(this RejectReason reason) => reason switch
    {
        RejectReason.Empty => "empty",
        RejectReason.Truncated => "truncated",
        RejectReason.HashMismatch => "hash_mismatch",
        RejectReason.SizeMismatch => "size_mismatch",
        RejectReason.DecompressError => "decompress_error",
        RejectReason.UpstreamStatus => "upstream_status",
        RejectReason.UpstreamError => "upstream_error",
        RejectReason.Timeout => "timeout",
        RejectReason.RedirectDenied => "redirect_denied",
        RejectReason.Quarantined => "quarantined",
        RejectReason.NarInfoInvalid => "narinfo_invalid",
        RejectReason.UnsupportedCompression => "unsupported_compression",
        RejectReason.SpoolError => "spool_error",
        RejectReason.CircuitOpen => "circuit_open",
        RejectReason.StorageUnhealthy => "storage_unhealthy",
        RejectReason.InternalError => "internal_error",
        RejectReason.PublicationHold => "publication_hold",
        RejectReason.UnknownUpstream => "unknown_upstream",
        RejectReason.RangeUnprovable => "range_unprovable",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
