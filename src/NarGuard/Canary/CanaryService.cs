using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NarGuard.Check;
using NarGuard.Configuration;
using NarGuard.Upstream;

namespace NarGuard.Canary;

/// <summary>
/// Runs the canary on its schedule with the same checker as `narguard check` (and so the same verifier as the
/// proxy). It asks the upstream directly, never through the proxy's quarantine or spool: it must see what a
/// fresh builder would get.
/// </summary>
public sealed partial class CanaryService(CanaryState state, UpstreamClient upstream, NarGuardOptions options, TimeProvider time, ILogger<CanaryService> logger) : BackgroundService
{
    /// <summary>One run, now (also what the schedule calls).</summary>
    public async Task<CanaryRun> RunOnceAsync(CancellationToken cancellationToken)
    {
        var checker = new CacheChecker(upstream, options.Timeouts, options.Canary.Concurrency, time);
        var results = await checker.CheckAsync(state.StoreHashes, cancellationToken: cancellationToken).ConfigureAwait(false);
        var run = new CanaryRun(results, time.GetUtcNow());
        foreach (var result in results)
        {
            if (!result.IsOk)
            {
                LogBroken(logger, result.DisplayName, result.Status, result.UpstreamStatus, result.Detail);
            }
        }
        LogRun(logger, results.Count, run.Broken);
        state.Record(run);
        return run;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!state.IsConfigured)
        {
            return;
        }
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
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
            {
                LogFailed(logger, ex.GetType().Name);
            }
            try
            {
                await Task.Delay(options.Canary.Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(150, LogLevel.Warning, "canary: path broken: store_path={StorePath} reason={Reason} upstream_status={UpstreamStatus} detail={Detail}")]
    private static partial void LogBroken(ILogger logger, string storePath, string reason, int? upstreamStatus, string? detail);

    [LoggerMessage(151, LogLevel.Information, "canary: checked {Paths} paths, {Broken} broken")]
    private static partial void LogRun(ILogger logger, int paths, int broken);

    [LoggerMessage(152, LogLevel.Warning, "canary: run failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
