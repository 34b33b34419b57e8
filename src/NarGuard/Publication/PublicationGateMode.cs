namespace NarGuard.Publication;

/// <summary>What the proxy does with <c>PUT /_api/v1/upload-path</c> (an <c>attic push</c> of one path).</summary>
public enum PublicationGateMode
{
    /// <summary>Pushes are forwarded like any other pass-through request: no gate, no evidence, no read-back.</summary>
    Off,

    /// <summary>Pushes are always forwarded; each is recorded (storage state before and after, evidence on a 5xx) and read back after it succeeded.</summary>
    Observe,

    /// <summary>As <see cref="Observe"/>, but while the storage probe fails a push is refused with 503 before any byte of it is forwarded.</summary>
    Enforce,
}
