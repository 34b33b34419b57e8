using Microsoft.Extensions.Logging;

namespace NarGuard.Telemetry;

// Event ids 160-179: several upstreams (narinfo lookup, NAR failover, nix-cache-info at start).
internal static partial class Log
{
    [LoggerMessage(160, LogLevel.Information, "narinfo hedged: store_hash={StoreHash} asking upstream={Upstream} (position {Position}) while the one before has not answered within Hedging:Delay")]
    public static partial void NarInfoHedged(ILogger logger, string storeHash, string upstream, int position);

    [LoggerMessage(161, LogLevel.Warning, "NAR failover: store_hash={StoreHash} from={From} to={To} outcome={Outcome} detail={Detail}")]
    public static partial void NarFailover(ILogger logger, string storeHash, string from, string to, string outcome, string? detail);

    [LoggerMessage(162, LogLevel.Error, "nix-cache-info: upstream={Upstream} serves StoreDir {UpstreamStoreDir}, but CacheInfo:StoreDir is {StoreDir}")]
    public static partial void StoreDirConflict(ILogger logger, string upstream, string upstreamStoreDir, string storeDir);

    [LoggerMessage(163, LogLevel.Warning, "nix-cache-info: upstream={Upstream} not checked at start ({Detail}); starting anyway, its StoreDir is assumed to be CacheInfo:StoreDir")]
    public static partial void CacheInfoUnchecked(ILogger logger, string upstream, string detail);

    [LoggerMessage(164, LogLevel.Information, "narinfo served by a later upstream: store_hash={StoreHash} upstream={Upstream} position={Position}; {Detail}")]
    public static partial void NarInfoFromLaterUpstream(ILogger logger, string storeHash, string upstream, int position, string detail);

    [LoggerMessage(165, LogLevel.Warning, "NAR transcoded: store_path={StorePath} upstream={Upstream} from={From} to={To} bytes={Bytes} duration_ms={DurationMs:F0}: its copy was the only intact one, in another compression than the client's narinfo")]
    public static partial void NarTranscoded(ILogger logger, string storePath, string upstream, string from, string to, long bytes, double durationMs);
}
