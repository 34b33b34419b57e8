using Microsoft.Extensions.Logging;

namespace NarGuard.Telemetry;

// Event ids 100-119: retries and the upstream circuit.
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Warning, "upstream circuit opened for {BreakSeconds:0.#} s: narinfo and NAR requests the spool cannot serve answer 404 circuit_open; last failure: {LastFailure}; upstream={Upstream}")]
    public static partial void CircuitOpened(ILogger logger, double breakSeconds, string lastFailure, string upstream);

    [LoggerMessage(101, LogLevel.Information, "upstream circuit half-open: one request probes the upstream; upstream={Upstream}")]
    public static partial void CircuitHalfOpened(ILogger logger, string upstream);

    [LoggerMessage(102, LogLevel.Information, "upstream circuit closed: the upstream answers again; upstream={Upstream}")]
    public static partial void CircuitClosed(ILogger logger, string upstream);

    [LoggerMessage(103, LogLevel.Debug, "narinfo retry {Attempt} for store_hash={StoreHash} in {DelayMs:F0} ms after {Reason} upstream_status={UpstreamStatus}")]
    public static partial void NarInfoRetry(ILogger logger, int attempt, string storeHash, double delayMs, string reason, int? upstreamStatus);
}
