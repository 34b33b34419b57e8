using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NarGuard.Check;
using NarGuard.Configuration;
using NarGuard.Core.Verification;
using NarGuard.Telemetry;
using NarGuard.Upstream;

namespace NarGuard.Publication;

/// <summary>
/// Reads pushed paths back: Publication:ReadBackConcurrency workers take paths from the <see cref="ReadBackQueue"/>
/// and fetch each narinfo and NAR from the upstream through the proxy's own verifier (<see cref="CacheChecker"/>:
/// the same UpstreamClient and NarVerifier the guards use). A path that does not verify is held, so clients get 404
/// for it until a later read-back verifies it; that one lifts the hold.
/// </summary>
public sealed class ReadBackService : BackgroundService
{
    private readonly ReadBackQueue _queue;
    private readonly PublicationHolds _holds;
    private readonly PublicationMetrics _metrics;
    private readonly StorageEvidence _evidence;
    private readonly CacheChecker _checker;
    private readonly PublicationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReadBackService> _logger;

    public ReadBackService(ReadBackQueue queue, PublicationHolds holds, PublicationMetrics metrics, StorageEvidence evidence, UpstreamClient upstream,
        NarGuardOptions options, TimeProvider time, ILogger<ReadBackService> logger)
    {
        _queue = queue;
        _holds = holds;
        _metrics = metrics;
        _evidence = evidence;
        _options = options.Publication;
        _time = time;
        _logger = logger;
        // One path per call: the workers are the concurrency.
        _checker = new CacheChecker(upstream, options.Timeouts, 1, time);
        _holds.RecheckDue += hold => Enqueue(new ReadBackItem(hold.StoreHash, hold.StorePath, ReadBackItem.Recheck, _time.GetUtcNow()));
    }

    /// <summary>Queues a read-back; a full queue drops it (counted and logged), never waits.</summary>
    public bool Enqueue(ReadBackItem item)
    {
        if (_queue.TryEnqueue(item))
        {
            return true;
        }
        _metrics.Dropped();
        Log.ReadBackDropped(_logger, item.StorePath ?? item.StoreHash, _queue.Capacity, item.Trigger);
        return false;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.PublicationStarted(_logger, _options.Gate.ToString(), _queue.Capacity, _options.ReadBackConcurrency, _options.HoldTtl);
        return Task.WhenAll(Enumerable.Range(0, _options.ReadBackConcurrency).Select(_ => WorkAsync(stoppingToken)));
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await VerifyAsync(item, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // One path's surprise must not stop the others' read-backs.
                    Log.ReadBackCrashed(_logger, ex.GetType().Name, item.StoreHash);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads one path back now and applies the verdict (hold or lift); returns the verdict.</summary>
    public async Task<PathCheckResult> VerifyAsync(ReadBackItem item, CancellationToken cancellationToken)
    {
        using var activity = NarGuardTelemetry.ActivitySource.StartActivity("narguard.publication.read_back");
        activity?.SetTag("nix.store_hash", item.StoreHash);
        activity?.SetTag("nix.store_path", item.StorePath);
        activity?.SetTag("narguard.trigger", item.Trigger);
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.ReadBackTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        PathCheckResult result;
        try
        {
            result = (await _checker.CheckAsync([new CheckTarget(item.StoreHash, item.StorePath)], null, linked.Token).ConfigureAwait(false))[0];
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            result = new PathCheckResult(item.StoreHash, item.StorePath, RejectReason.Timeout, null, 0, 0, _time.GetElapsedTime(started), null, 0,
                $"not read back within {_options.ReadBackTimeout.TotalSeconds:0} s (Publication:ReadBackTimeout)");
        }
        activity?.SetTag("narguard.result", result.Status);

        if (result.IsOk)
        {
            _metrics.ReadBack(PublicationMetrics.ReadBackOk);
            Log.ReadBackVerified(_logger, result.StorePath, result.NarSize, result.Bytes, result.Elapsed.TotalMilliseconds, item.Trigger);
            if (_holds.Release(item.StoreHash))
            {
                Log.HoldLifted(_logger, result.StorePath, item.StoreHash, item.Trigger);
            }
            return result;
        }
        if (result.Reason == RejectReason.UpstreamStatus && result.UpstreamStatus is 401 or 403)
        {
            // Not a verdict on the path: the proxy may not read this cache. Holding it would refuse a good path.
            _metrics.ReadBack(PublicationMetrics.ReadBackUnverifiable);
            Log.ReadBackUnverifiable(_logger, result.StorePath ?? item.StorePath, result.UpstreamStatus);
            return result;
        }

        _metrics.ReadBack(PublicationMetrics.ReadBackFailed);
        if (_holds.Hold(item.StoreHash, result.StorePath ?? item.StorePath, result.Status) is { } evicted)
        {
            Log.HoldEvicted(_logger, evicted.StorePath, evicted.StoreHash, evicted.Since);
        }
        activity?.AddEvent(new ActivityEvent("narguard.publication.held", tags: new ActivityTagsCollection { ["narguard.reason"] = result.Status }));
        Log.ReadBackFailed(_logger, result.StorePath ?? item.StorePath, item.StoreHash, result.Status, result.UpstreamStatus, result.Bytes, result.NarBytes,
            result.NarSize, result.Detail, item.Trigger, _evidence.Current().Describe(), activity?.TraceId.ToString());
        return result;
    }
}
