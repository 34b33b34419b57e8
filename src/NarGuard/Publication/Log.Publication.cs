using Microsoft.Extensions.Logging;

namespace NarGuard.Telemetry;

// Event ids 180-199: the publication guard (pushes, their evidence, read-backs and holds). Tokens never appear;
// store paths do (they are what the on-call needs), Attic's error code and message do (they carry no secret).
internal static partial class Log
{
    [LoggerMessage(180, LogLevel.Warning, "push refused: store_path={StorePath} gate=enforce storage_check={Check} bucket={Bucket} detail={Detail}; answered 503 StorageUnhealthy, nothing forwarded trace_id={TraceId}")]
    public static partial void PushRefused(ILogger logger, string? storePath, string? check, string? bucket, string? detail, string? traceId);

    [LoggerMessage(181, LogLevel.Error, "push failed: store_path={StorePath} upstream_status={UpstreamStatus} attic_error={AtticError} attic_message={AtticMessage} forwarder_error={ForwarderError} storage_before={StorageBefore} storage_after={StorageAfter} trace_id={TraceId}")]
    public static partial void PushFailed(ILogger logger, string? storePath, int? upstreamStatus, string? atticError, string? atticMessage, string forwarderError, string storageBefore, string storageAfter, string? traceId);

    [LoggerMessage(182, LogLevel.Error, "publication read-back failed, path held: store_path={StorePath} store_hash={StoreHash} reason={Reason} upstream_status={UpstreamStatus} bytes_received={BytesReceived} nar_bytes={NarBytes} expected_nar_size={ExpectedNarSize} detail={Detail} trigger={Trigger} storage={Storage} trace_id={TraceId}")]
    public static partial void ReadBackFailed(ILogger logger, string? storePath, string storeHash, string reason, int? upstreamStatus, long bytesReceived, long narBytes, long? expectedNarSize, string? detail, string trigger, string storage, string? traceId);

    [LoggerMessage(183, LogLevel.Information, "publication read-back verified: store_path={StorePath} nar_size={NarSize} bytes_received={BytesReceived} duration_ms={DurationMs:F0} trigger={Trigger}")]
    public static partial void ReadBackVerified(ILogger logger, string? storePath, long? narSize, long bytesReceived, double durationMs, string trigger);

    [LoggerMessage(184, LogLevel.Warning, "publication hold lifted: store_path={StorePath} store_hash={StoreHash}; verified by a read-back ({Trigger})")]
    public static partial void HoldLifted(ILogger logger, string? storePath, string storeHash, string trigger);

    [LoggerMessage(185, LogLevel.Warning, "read-back queue full ({Capacity}): store_path={StorePath} will not be read back (trigger={Trigger})")]
    public static partial void ReadBackDropped(ILogger logger, string? storePath, int capacity, string trigger);

    [LoggerMessage(186, LogLevel.Warning, "publication hold dropped to stay within Publication:HoldMaxEntries: store_path={StorePath} store_hash={StoreHash} held_since={Since}")]
    public static partial void HoldEvicted(ILogger logger, string? storePath, string storeHash, DateTimeOffset since);

    [LoggerMessage(187, LogLevel.Warning, "publication read-back not possible: store_path={StorePath} upstream_status={UpstreamStatus}; the proxy has no token that may read the cache (UpstreamToken), so the path is not held")]
    public static partial void ReadBackUnverifiable(ILogger logger, string? storePath, int? upstreamStatus);

    [LoggerMessage(188, LogLevel.Error, "publication read-back crashed with {Error} for store_hash={StoreHash}; the worker goes on")]
    public static partial void ReadBackCrashed(ILogger logger, string error, string storeHash);

    [LoggerMessage(189, LogLevel.Information, "push forwarded: store_path={StorePath} result={Result} upstream_status={UpstreamStatus} storage_before={StorageBefore} storage_after={StorageAfter}")]
    public static partial void PushForwarded(ILogger logger, string? storePath, string result, int? upstreamStatus, string storageBefore, string storageAfter);

    [LoggerMessage(190, LogLevel.Information, "publication guard: gate={Gate} read_back_queue={QueueSize} read_back_concurrency={Concurrency} hold_ttl={HoldTtl}")]
    public static partial void PublicationStarted(ILogger logger, string gate, int queueSize, int concurrency, TimeSpan holdTtl);
}
