namespace AtticEmulator;

/// <summary>
/// A failure the emulator injects for one store path. Faults named <c>NarInfo*</c> act on the
/// <c>.narinfo</c> answer; every other fault acts on the NAR URL (and, for the redirect faults,
/// on the storage URL it points at). The narinfo of a path with a NAR fault is served intact,
/// exactly as Attic keeps serving narinfos when its storage is broken.
/// </summary>
public enum Fault
{
    /// <summary>Everything served as Attic serves a healthy object.</summary>
    Healthy,

    /// <summary>NAR: 404 JSON <c>NoSuchObject</c> (the narinfo still answers 200).</summary>
    NarNotFound,

    /// <summary>NAR: 200 with chunked framing flushed, then the connection is aborted
    /// (zero body bytes; curl exit 18). The incident.</summary>
    Empty,

    /// <summary>NAR: 200, about half the compressed body, then the connection is aborted.</summary>
    Truncated,

    /// <summary>NAR: 200, a complete body that decompresses to a NAR of the advertised size
    /// whose bytes differ (one content byte flipped): a NarHash mismatch.</summary>
    Corrupt,

    /// <summary>NAR: 200, a complete body of random bytes of the real body's length
    /// (not decompressible).</summary>
    Garbage,

    /// <summary>NAR: 500 JSON <c>InternalServerError</c>.</summary>
    NarServerError,

    /// <summary>NAR: 503 JSON <c>IncompleteNar</c> (chunk rows missing).</summary>
    IncompleteNar,

    /// <summary>narinfo: 500 JSON <c>InternalServerError</c>.</summary>
    NarInfoServerError,

    /// <summary>narinfo: 200 <c>text/x-nix-narinfo</c> whose body is junk text.</summary>
    NarInfoGarbage,

    /// <summary>NAR: the connection is aborted before any response header.</summary>
    Reset,

    /// <summary>NAR: 200 and the first chunk, then no byte for
    /// <see cref="EmulatorOptions.StallDuration"/>, then the connection is aborted.</summary>
    Stall,

    /// <summary>NAR: 307 to the presigned-style storage URL on
    /// <see cref="EmulatorOptions.AdvertiseStorageHost"/> (default: the request's Host), which
    /// serves the healthy body with <c>Content-Length</c>.</summary>
    Redirect,

    /// <summary>NAR: 307 to the storage URL as <see cref="Redirect"/>, but the storage answers
    /// 200 with the full <c>Content-Length</c> header flushed and then aborts the connection
    /// with zero body bytes (the incident, one hop further).</summary>
    RedirectBroken,

    /// <summary>NAR: 307 to the storage route on <see cref="EmulatorOptions.ForeignStorageHost"/>
    /// (default <c>localhost:PORT</c>, the same server under a host name a proxy has not been
    /// told about). The body there is healthy: a client that follows succeeds, a proxy must refuse.</summary>
    RedirectForeign,

    /// <summary>narinfo: <c>NarSize</c> advertises half the real size (NarHash stays right);
    /// the NAR body is the healthy one.</summary>
    SizeBomb,

    /// <summary>NAR: 401 JSON <c>Unauthorized</c> (the narinfo still answers 200). For a cache
    /// that is private on every route use <see cref="EmulatorOptions.BearerToken"/>.</summary>
    Unauthorized,
}
