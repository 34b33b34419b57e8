namespace NarGuard.Health;

/// <summary>What the upstream's nix-cache-info answered to the readiness check.</summary>
/// <param name="Ok">The upstream answers (200 with a StoreDir line, or 401/403 when clients bring their own token).</param>
/// <param name="IsTransientFailure">A connection error, timeout or 5xx: also a failure sample for the circuit.</param>
/// <param name="Status">The HTTP status, when there was one.</param>
/// <param name="Detail">One line for the readiness body and the log; never a URL with credentials.</param>
public sealed record UpstreamProbeResult(bool Ok, bool IsTransientFailure, int? Status, string Detail);
