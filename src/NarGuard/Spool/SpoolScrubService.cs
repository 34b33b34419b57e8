using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Spool;

namespace NarGuard.Spool;

/// <summary>
/// Runs <see cref="SpoolScrubber"/> once soon after start (to catch what changed while NarGuard was stopped) and then
/// every Spool:ScrubInterval, one entry at a time on one thread. Zero disables it. Damaged entries are dropped from the
/// spool, logged and counted (narguard_spool_damaged_total{narguard_check="scrub"}); the guards then see no entry
/// and fetch the NAR again.
/// </summary>
public sealed class SpoolScrubService(SpoolScrubber scrubber, NarSpool spool, NarGuardOptions options, TimeProvider time, ILogger<SpoolScrubService> logger) : BackgroundService
{
    /// <summary>Delay before the first pass: lets the host finish starting and take its first requests.</summary>
    public static readonly TimeSpan FirstPassDelay = TimeSpan.FromSeconds(10);

    private long _passes;

    /// <summary>Completed passes (tests wait on it instead of sleeping).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>One pass now, logged. Exceptions other than cancellation are logged and swallowed: a scrub must never stop the host.</summary>
    public async Task<ScrubReport?> RunPassAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var report = await scrubber.ScrubAsync(cancellationToken).ConfigureAwait(false);
            Log.ScrubPass(logger, report.Verified, report.Damaged, report.Skipped, time.GetElapsedTime(started).TotalSeconds);
            return report;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.ScrubFailed(logger, ex.GetType().Name + ": " + ex.Message);
            return null;
        }
        finally
        {
            Interlocked.Increment(ref _passes);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        spool.Damaged += (entry, damage) => Log.SpoolDamaged(logger, entry.StoreHash, entry.NarPath, damage);
        var interval = options.Spool.ScrubInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await Task.Delay(FirstPassDelay, time, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                await RunPassAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

public static class SpoolIntegrityServiceCollectionExtensions
{
    /// <summary>The scrubber and its schedule. The size/mtime check needs nothing: it is part of every spool lookup.</summary>
    public static IServiceCollection AddNarGuardSpoolIntegrity(this IServiceCollection services)
    {
        services.AddSingleton(sp => new SpoolScrubber(sp.GetRequiredService<NarSpool>()));
        services.AddSingleton<SpoolScrubService>();
        services.AddHostedService(sp => sp.GetRequiredService<SpoolScrubService>());
        return services;
    }
}
