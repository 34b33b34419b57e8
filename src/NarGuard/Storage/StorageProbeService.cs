using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Telemetry;

namespace NarGuard.Storage;

/// <summary>
/// Runs the storage probe at start and then every Storage:ProbeInterval, and records each result in
/// <see cref="StorageHealth"/>. <see cref="RunOnceAsync"/> runs one probe on demand (tests, or an operator endpoint);
/// probes never overlap.
/// </summary>
public sealed class StorageProbeService : BackgroundService
{
    private readonly StorageProbe _probe;
    private readonly StorageHealth _health;
    private readonly StorageOptions _storage;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<StorageProbeService> _logger;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public StorageProbeService(StorageProbe probe, StorageHealth health, NarGuardOptions options, TimeProvider time, ILogger<StorageProbeService> logger)
    {
        _probe = probe;
        _health = health;
        _storage = options.Storage;
        _interval = options.Storage.ProbeInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>Probes now (after any probe already running) and returns the recorded result.</summary>
    public async Task<StorageProbeResult> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await _probe.RunAsync(_health.Last?.ConsecutiveFailures ?? 0, cancellationToken).ConfigureAwait(false);
            _health.Record(result);
            return result;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.StorageProbeScheduled(_logger, _storage.Endpoint!, string.Join(",", _storage.Buckets), _interval.TotalSeconds, _storage.ScratchRoundTrip);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // An unexpected SDK failure must not end the schedule: the next probe may well pass.
                Log.StorageProbeCrashed(_logger, ex.GetType().Name);
            }
            try
            {
                await Task.Delay(_interval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        // The probe (and its S3 client) belongs to the container, which disposes it.
        _oneAtATime.Dispose();
        base.Dispose();
    }
}
