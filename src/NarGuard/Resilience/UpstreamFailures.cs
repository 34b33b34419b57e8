using NarGuard.Core.Verification;
using NarGuard.Health;
using NarGuard.Upstream;

namespace NarGuard.Resilience;

/// <summary>
/// Which upstream answers say "the upstream is unwell" (retried, and counted by the circuit) as opposed to "the
/// upstream answered" (a 404, a 401, a body that does not parse: asking again would get the same answer).
/// </summary>
public static class UpstreamFailures
{
    /// <summary>Connection errors, timeouts, and 5xx except 501 (Not Implemented is an answer, not an outage).</summary>
    public static bool IsTransient(RejectReason? reason, int? status) => reason switch
    {
        RejectReason.UpstreamError or RejectReason.Timeout => true,
        RejectReason.UpstreamStatus => status is >= 500 and < 600 and not 501,
        _ => false,
    };

    /// <summary>The circuit's predicate over the values the upstream calls return.</summary>
    public static bool IsFailure(object? result) => result switch
    {
        NarInfoFetch fetch => fetch.Info is null && IsTransient(fetch.Reason, fetch.Status),
        NarDownload download => download.Response is null && IsTransient(download.Reason, download.Status),
        UpstreamProbeResult probe => probe.IsTransientFailure,
        _ => false,
    };
}
