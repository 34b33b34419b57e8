namespace NarGuard.Resilience;

/// <summary>The state of the upstream circuit, as the gauge reports it.</summary>
public enum UpstreamCircuitState
{
    /// <summary>Calls go to the upstream.</summary>
    Closed = 0,
    /// <summary>The upstream failed repeatedly: calls are refused at once (404 circuit_open) without asking it.</summary>
    Open = 1,
    /// <summary>The break is over and one call is probing the upstream; others are still refused.</summary>
    HalfOpen = 2,
}
