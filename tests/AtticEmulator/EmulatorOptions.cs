namespace AtticEmulator;

/// <summary>How an <see cref="AtticEmulatorServer"/> listens and serves. Every property has a
/// default that mirrors Attic's.</summary>
public sealed record EmulatorOptions
{
    /// <summary>Address to listen on. Port 0 picks a free port; read the real one from
    /// <see cref="AtticEmulatorServer.BaseUrl"/>.</summary>
    public Uri Listen { get; init; } = new("http://127.0.0.1:0");

    /// <summary>The cache name, the first path segment of every cache route.</summary>
    public string CacheName { get; init; } = "main";

    /// <summary>Compression applied to NAR bodies and advertised in narinfos.</summary>
    public BodyCompression Compression { get; init; } = BodyCompression.Zstd;

    /// <summary>NARs are cut into chunks of this many uncompressed bytes; each chunk is
    /// compressed on its own and the results concatenated, as Attic stores and serves them.</summary>
    public int ChunkSize { get; init; } = 64 * 1024;

    /// <summary>How long <see cref="Fault.Stall"/> keeps the connection silent before aborting it.</summary>
    public TimeSpan StallDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>host[:port]</c> put into the <c>Location</c> of <see cref="Fault.Redirect"/>
    /// and <see cref="Fault.RedirectBroken"/>; null uses the request's <c>Host</c> header.</summary>
    public string? AdvertiseStorageHost { get; init; }

    /// <summary><c>host[:port]</c> used by <see cref="Fault.RedirectForeign"/>; null means
    /// <c>localhost:PORT</c> (this server, under a name that differs from <c>127.0.0.1</c>).</summary>
    public string? ForeignStorageHost { get; init; }

    /// <summary>When set, every cache route requires <c>Authorization: Bearer TOKEN</c> (or Basic
    /// with the token as password, as a netrc file sends it) and answers 401 JSON otherwise.
    /// The storage and control routes never require it.</summary>
    public string? BearerToken { get; init; }

    /// <summary>
    /// S3 mode: chunks of NARs pushed with <c>PUT /_api/v1/upload-path</c> are written to this S3 bucket and every
    /// healthy NAR download of them streams the chunks back from it, after the 200 is committed, as Attic does. Null
    /// (the default) keeps uploads in memory. Objects added with <see cref="AtticEmulatorServer.Add"/> are always
    /// served from memory.
    /// </summary>
    public EmulatorS3Options? S3 { get; init; }

    /// <summary>Write ASP.NET Core's warnings to the console (the CLI turns this on).</summary>
    public bool ConsoleLogging { get; init; }
}
