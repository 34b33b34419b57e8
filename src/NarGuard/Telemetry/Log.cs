using Microsoft.Extensions.Logging;

namespace NarGuard.Telemetry;

/// <summary>Every log line NarGuard writes, with stable event ids. No token or signed URL is ever a parameter.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "NAR rejected: reason={Reason} store_hash={StoreHash} store_path={StorePath} nar_url={NarUrl} upstream_status={UpstreamStatus} bytes_received={BytesReceived} nar_bytes={NarBytes} expected_nar_size={ExpectedNarSize} expected_nar_hash={ExpectedNarHash} actual_nar_hash={ActualNarHash} detail={Detail} trace_id={TraceId} upstream={Upstream}")]
    public static partial void NarRejected(ILogger logger, string reason, string storeHash, string? storePath, string? narUrl, int? upstreamStatus, long bytesReceived, long narBytes, long? expectedNarSize, string? expectedNarHash, string? actualNarHash, string? detail, string? traceId, string? upstream);

    [LoggerMessage(2, LogLevel.Information, "NAR verified: store_path={StorePath} nar_size={NarSize} bytes_received={BytesReceived} duration_ms={DurationMs:F0} upstream={Upstream}")]
    public static partial void NarVerified(ILogger logger, string storePath, long narSize, long bytesReceived, double durationMs, string upstream);

    [LoggerMessage(3, LogLevel.Information, "narinfo not served: store_hash={StoreHash} reason={Reason} upstream_status={UpstreamStatus} detail={Detail}")]
    public static partial void NarInfoNotServed(ILogger logger, string storeHash, string reason, int? upstreamStatus, string? detail);

    [LoggerMessage(4, LogLevel.Warning, "upstream unavailable, serving narinfo from the spool: store_hash={StoreHash} reason={Reason}")]
    public static partial void NarInfoFromSpool(ILogger logger, string storeHash, string reason);

    [LoggerMessage(5, LogLevel.Information, "spool ready: path={Path} entries={Entries} bytes={Bytes} removed_leftovers={Removed}")]
    public static partial void SpoolReady(ILogger logger, string path, int entries, long bytes, int removed);

    [LoggerMessage(6, LogLevel.Information, "NarGuard listening on {Listen}, serving {CachePath} from upstream {Upstream}")]
    public static partial void Started(ILogger logger, string listen, string cachePath, string upstream);

    [LoggerMessage(7, LogLevel.Error, "spool write failed for store_hash={StoreHash}: {Error}")]
    public static partial void SpoolWriteFailed(ILogger logger, string storeHash, string error);

    [LoggerMessage(8, LogLevel.Information, "bad request: path={Path} reason={Reason}")]
    public static partial void BadRequest(ILogger logger, string path, string reason);

    [LoggerMessage(9, LogLevel.Error, "guard failed, answered 404 instead of a 5xx: route={Route} store_hash={StoreHash} reason={Reason} error={Error} response_started={Started}")]
    public static partial void GuardFailed(ILogger logger, string route, string storeHash, string reason, string error, bool started);
}
