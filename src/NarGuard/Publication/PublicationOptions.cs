namespace NarGuard.Publication;

/// <summary>
/// The publication guard ("Publication" in the settings): pushes through the proxy are gated on the storage probe,
/// leave evidence, and are read back through the verifier after Attic accepted them (docs/PUBLICATION.md).
/// </summary>
public sealed class PublicationOptions
{
    /// <summary>Off, Observe (default) or Enforce. Enforce needs Storage:Endpoint: without a probe there is nothing to gate on.</summary>
    public PublicationGateMode Gate { get; set; } = PublicationGateMode.Observe;

    /// <summary>Paths waiting for their read-back; when full, a new one is dropped and counted, the push is never held up.</summary>
    public int ReadBackQueueSize { get; set; } = 1024;

    /// <summary>Read-backs (narinfo + NAR download and verification) running at once.</summary>
    public int ReadBackConcurrency { get; set; } = 2;

    /// <summary>One read-back (narinfo and NAR) gives up after this long and counts as failed (timeout).</summary>
    public TimeSpan ReadBackTimeout { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// How long a path whose read-back failed stays held (404 publication_hold) when nothing verifies it again.
    /// A successful read-back lifts the hold at once; the TTL only bounds a hold nobody asks about.
    /// </summary>
    public TimeSpan HoldTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most paths held at once; beyond it the oldest hold is dropped (and counted in the log).</summary>
    public int HoldMaxEntries { get; set; } = 10_000;

    /// <summary>A request for a held path queues a new read-back at most this often per path, so a repaired path is served again.</summary>
    public TimeSpan HoldRecheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
