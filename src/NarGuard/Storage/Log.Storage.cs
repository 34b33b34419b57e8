using Microsoft.Extensions.Logging;

namespace NarGuard.Telemetry;

// Event ids 120-139: the storage probe and degraded mode. Endpoints are named; credentials never are.
internal static partial class Log
{
    [LoggerMessage(120, LogLevel.Error, "storage probe failed: check={Check} bucket={Bucket} detail={Detail} consecutive_failures={ConsecutiveFailures}; degraded (un-spooled narinfos answer 404 storage_unhealthy: {DegradedNarInfo404})")]
    public static partial void StorageProbeFailed(ILogger logger, string check, string? bucket, string detail, int consecutiveFailures, bool degradedNarInfo404);

    [LoggerMessage(121, LogLevel.Warning, "storage probe passes again after {Failures} failed probe(s): {Detail}; degraded mode over")]
    public static partial void StorageProbeRecovered(ILogger logger, int failures, string detail);

    [LoggerMessage(122, LogLevel.Information, "storage probe passes: {Detail} ({DurationMs:F0} ms)")]
    public static partial void StorageProbeFirstPass(ILogger logger, string detail, double durationMs);

    [LoggerMessage(123, LogLevel.Error, "storage probe crashed with {Error}; the next probe runs on schedule")]
    public static partial void StorageProbeCrashed(ILogger logger, string error);

    [LoggerMessage(124, LogLevel.Information, "storage probe scheduled: endpoint={Endpoint} buckets={Buckets} interval={IntervalSeconds:0.#} s scratch_round_trip={ScratchRoundTrip}")]
    public static partial void StorageProbeScheduled(ILogger logger, string endpoint, string buckets, double intervalSeconds, bool scratchRoundTrip);
}
