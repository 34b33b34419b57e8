using Microsoft.Extensions.DependencyInjection;
using NarGuard.Storage;

namespace NarGuard.Publication;

/// <summary>
/// The storage state around pushes: the scheduled probe's last result, and an immediate probe after a push failed.
/// Immediate probes are shared: a closure of 22 failing uploads runs one probe, not 22, and a result newer than
/// the push is reused rather than asked for again.
/// </summary>
public sealed class StorageEvidence
{
    private readonly StorageHealth _health;
    private readonly StorageProbeService? _probe;
    private readonly Lock _lock = new();
    private Task<StorageProbeResult>? _running;

    public StorageEvidence(StorageHealth health, IServiceProvider services)
    {
        _health = health;
        // Registered only with Storage:Endpoint (StorageServiceCollectionExtensions).
        _probe = services.GetService<StorageProbeService>();
    }

    public StorageSnapshot Current() => StorageSnapshot.Of(_health);

    /// <summary>
    /// A probe that finished after <paramref name="since"/>: the one running now, a fresh one, or the last result
    /// when it is already that recent. Without a storage probe, the current (not configured) state.
    /// </summary>
    public async Task<StorageSnapshot> ProbeSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        if (_probe is null)
        {
            return Current();
        }
        Task<StorageProbeResult> probe;
        lock (_lock)
        {
            if (_running is { IsCompleted: false } running)
            {
                probe = running;
            }
            else if (_health.Last is { } last && last.CheckedAt >= since)
            {
                return StorageSnapshot.From(last);
            }
            else
            {
                // Not the caller's token: other pushes wait for this probe too, and it is bounded by Storage:ProbeTimeout.
                probe = _running = _probe.RunOnceAsync(CancellationToken.None);
            }
        }
        try
        {
            return StorageSnapshot.From(await probe.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The probe itself crashed (the scheduled loop logs such crashes): the evidence is then the last known state.
            return Current();
        }
    }
}
