using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Telemetry;

namespace NarGuard.Storage;

/// <summary>
/// The latest storage probe result, read by the narinfo guard (degraded mode), /readyz and the telemetry gauges.
/// Without Storage:Endpoint it is never degraded. Recovery needs nothing but a probe that passes.
/// </summary>
public sealed class StorageHealth
{
    private readonly ILogger<StorageHealth> _logger;
    private StorageProbeResult? _last;

    public StorageHealth(NarGuardOptions options, ILogger<StorageHealth> logger)
    {
        _logger = logger;
        IsConfigured = !string.IsNullOrWhiteSpace(options.Storage.Endpoint);
        DegradedNarInfo404 = options.Storage.DegradedNarInfo404;
    }

    /// <summary>Storage:Endpoint is set, so the probe runs.</summary>
    public bool IsConfigured { get; }

    /// <summary>Storage:DegradedNarInfo404.</summary>
    public bool DegradedNarInfo404 { get; }

    /// <summary>The last probe's result; null until the first probe has finished.</summary>
    public StorageProbeResult? Last => Volatile.Read(ref _last);

    /// <summary>The last probe failed. Not before the first probe: a proxy must not refuse work on a guess.</summary>
    public bool IsDegraded => IsConfigured && Last is { Ok: false };

    /// <summary>Un-spooled narinfos get 404 storage_unhealthy now.</summary>
    public bool RefusesNarInfos => DegradedNarInfo404 && IsDegraded;

    /// <summary>Raised after every probe with its result (the lead's gauges and counters hang off this).</summary>
    public event Action<StorageProbeResult>? Probed;

    /// <summary>Records a probe's result; logs only changes (failed, recovered) and a different failure, not every pass.</summary>
    public void Record(StorageProbeResult result)
    {
        var previous = Interlocked.Exchange(ref _last, result);
        if (!result.Ok && (previous is null or { Ok: true } || previous.FailedCheck != result.FailedCheck || previous.Detail != result.Detail))
        {
            Log.StorageProbeFailed(_logger, result.FailedCheck ?? "unknown", result.Bucket, result.Detail, result.ConsecutiveFailures, DegradedNarInfo404);
        }
        else if (result.Ok && previous is { Ok: false })
        {
            Log.StorageProbeRecovered(_logger, previous.ConsecutiveFailures, result.Detail);
        }
        else if (result.Ok && previous is null)
        {
            Log.StorageProbeFirstPass(_logger, result.Detail, result.Duration.TotalMilliseconds);
        }
        Probed?.Invoke(result);
    }
}
