namespace NarGuard.Configuration;

/// <summary>
/// Every setting, with its default. Bound from (lowest to highest precedence) config/narguard.json or --config,
/// NARGUARD_* environment variables (NARGUARD_Spool__MaxBytes), and the command line. Validated at start by
/// <see cref="NarGuardOptionsValidator"/>: a bad value stops the program with a message naming the key.
/// </summary>
public sealed class NarGuardOptions
{
    /// <summary>The Attic cache URL including the cache name, e.g. http://127.0.0.1:8080/main. Required.</summary>
    public string? Upstream { get; set; }

    /// <summary>
    /// The first upstream's name (metric label; its NAR URLs stay nar/&lt;storehash&gt;.nar...). Default u1. See
    /// <see cref="UpstreamOptions.Name"/>.
    /// </summary>
    public string? UpstreamName { get; set; }

    /// <summary>
    /// Further upstreams, asked in this order after the first. When <see cref="Upstream"/> is set it is the first
    /// upstream and these follow; when it is not, the first entry here is the first upstream. The first upstream
    /// alone defines the served cache path, answers pass-through requests (pushes, log/, realisations/), and is the
    /// one the storage probe, the canary and /readyz's upstream check look at.
    /// </summary>
    public List<UpstreamOptions> Upstreams { get; set; } = [];

    /// <summary>The settings file that was read (--config); recorded so that it is a known key.</summary>
    public string? Config { get; set; }

    /// <summary>Log levels, as in ASP.NET Core ("Logging": {"LogLevel": {"Default": "Information"}}).</summary>
    public Microsoft.Extensions.Configuration.IConfigurationSection? Logging { get; set; }

    /// <summary>Bearer token sent upstream when the client sends no Authorization header.</summary>
    public string? UpstreamToken { get; set; }

    /// <summary>A file holding <see cref="UpstreamToken"/> (keeps it out of the command line and the environment).</summary>
    public string? UpstreamTokenFile { get; set; }

    /// <summary>The Host header sent upstream (Attic checks it against allowed-hosts). Default: the upstream URL's host.</summary>
    public string? UpstreamHost { get; set; }

    /// <summary>Where the proxy listens. The cache is served under the upstream URL's path.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:5080";

    /// <summary>
    /// Host names (the Host header without its port) this proxy answers for; any other gets 400 host_not_allowed.
    /// Empty (the default) answers any Host: NarGuard only ever contacts its configured upstream whatever the Host
    /// says, so the list is defence in depth against DNS rebinding and misrouted traffic, not what stops an open
    /// proxy. /healthz, /readyz and /metrics are exempt (probes call them by IP).
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    public SpoolOptions Spool { get; set; } = new();
    public TimeoutOptions Timeouts { get; set; } = new();
    public QuarantineOptions Quarantine { get; set; } = new();
    public RedirectOptions Redirects { get; set; } = new();
    public NarInfoCacheOptions NarInfoCache { get; set; } = new();
    public TelemetryOptions Telemetry { get; set; } = new();
    public Resilience.ResilienceOptions Resilience { get; set; } = new();
    public Health.HealthOptions Health { get; set; } = new();
    public Storage.StorageOptions Storage { get; set; } = new();
    public StreamingOptions Streaming { get; set; } = new();
    public ServerOptions Server { get; set; } = new();
    public Canary.CanaryOptions Canary { get; set; } = new();
    public Publication.PublicationOptions Publication { get; set; } = new();
    public HedgingOptions Hedging { get; set; } = new();
    public CacheInfoOptions CacheInfo { get; set; } = new();

    /// <summary>A copy sharing every section; <see cref="UpstreamList"/> replaces the upstream-specific ones on it.</summary>
    internal NarGuardOptions ShallowCopy() => (NarGuardOptions)MemberwiseClone();
}

/// <summary>When NAR bytes flow to the client while they are verified, instead of after.</summary>
public enum StreamingMode
{
    /// <summary>Always spool first: the client gets the first byte once the whole NAR verified.</summary>
    Off,
    /// <summary>Stream NARs of at least <see cref="StreamingOptions.MinNarSize"/> (default).</summary>
    Large,
    /// <summary>Stream every NAR fetched from the upstream.</summary>
    Always,
}

public sealed class StreamingOptions
{
    /// <summary>
    /// Off, Large or Always. A streamed NAR's last <see cref="HoldBackBytes"/> are held back until NarSize and NarHash
    /// match; on a mismatch the connection is aborted (never ended cleanly), the NAR is quarantined, and the client's
    /// retry (Range or full) gets 404.
    /// </summary>
    public StreamingMode Mode { get; set; } = StreamingMode.Large;

    /// <summary>NarSize from which Large streams. Below it the client waits for verification (small NARs verify in milliseconds).</summary>
    public long MinNarSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>Compressed bytes held back until verification passes: the client can never hold a complete body that did not verify.</summary>
    public int HoldBackBytes { get; set; } = 64 * 1024;
}

public sealed class TelemetryOptions
{
    /// <summary>Serve Prometheus metrics at /metrics. OTLP export is configured by the standard OTEL_EXPORTER_OTLP_* variables.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>service.name of traces and metrics.</summary>
    public string ServiceName { get; set; } = "narguard";
}

public sealed class SpoolOptions
{
    /// <summary>Directory of verified NARs. Default: $XDG_CACHE_HOME/narguard or ~/.cache/narguard.</summary>
    public string? Path { get; set; }

    /// <summary>Upper bound of the spool in bytes (least recently used NARs are evicted). Default 10 GiB.</summary>
    public long MaxBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>
    /// How often every spooled body is re-verified against its narinfo (one pass also runs shortly after start).
    /// Catches damage that leaves a file's size and mtime alone; those are checked on every read. Zero disables.
    /// </summary>
    public TimeSpan ScrubInterval { get; set; } = TimeSpan.FromHours(6);
}

public sealed class TimeoutOptions
{
    /// <summary>TCP connect timeout to the upstream and storage.</summary>
    public TimeSpan Connect { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whole narinfo fetch.</summary>
    public TimeSpan NarInfo { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Response headers of a NAR fetch (Attic sends them before touching storage).</summary>
    public TimeSpan NarHeaders { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// No byte of a NAR body for this long fails the fetch. Must stay well inside Nix's stalled-download-timeout
    /// (300 s): the client hears nothing while the proxy verifies.
    /// </summary>
    public TimeSpan Stall { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whole NAR fetch and verification. Default 4 minutes: the client receives no byte before verification ends,
    /// and Nix abandons a download after 300 s of silence.
    /// </summary>
    public TimeSpan Nar { get; set; } = TimeSpan.FromMinutes(4);
}

public sealed class QuarantineOptions
{
    /// <summary>How long a NAR that failed verification answers 404 without a new fetch. Zero disables.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class RedirectOptions
{
    /// <summary>Hosts a NAR redirect may point to, besides the upstream's own host (e.g. the S3 endpoint behind Attic).</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Redirects followed for one NAR before giving up.</summary>
    public int MaxHops { get; set; } = 3;
}

public sealed class NarInfoCacheOptions
{
    /// <summary>How long a fetched narinfo is reused for NAR requests. Zero disables.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most narinfos kept.</summary>
    public int MaxEntries { get; set; } = 10_000;
}
