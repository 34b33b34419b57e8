namespace NarGuard.Storage;

/// <summary>
/// The S3-compatible storage behind Attic ("Storage" in the settings), probed on a schedule so that a lost bucket
/// index (the incident: ListBuckets no longer lists the bucket) is noticed before builders pay for it.
/// Nothing here is used unless <see cref="Endpoint"/> is set.
/// </summary>
public sealed class StorageOptions
{
    /// <summary>The S3 endpoint, e.g. http://127.0.0.1:9000 (RustFS, MinIO, s3rver). Path-style addressing is used.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Buckets Attic stores into. Every one must be listed by ListBuckets and answer HeadBucket.</summary>
    public List<string> Buckets { get; set; } = [];

    /// <summary>Access key of the probe's own credentials; with <see cref="SecretKey"/>, else AWS_ACCESS_KEY_ID. Never logged.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Secret key; else AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN when set). Never logged.</summary>
    public string? SecretKey { get; set; }

    /// <summary>The signing region. S3-compatible servers mostly accept any; us-east-1 is their usual default.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Time between two probes.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A whole probe (every call of it) gives up after this long and counts as failed.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Also put, read back and delete a small scratch object in every bucket (needs write access).</summary>
    public bool ScratchRoundTrip { get; set; }

    /// <summary>Key prefix of the scratch object; a per-process suffix keeps replicas apart.</summary>
    public string ScratchPrefix { get; set; } = "narguard-probe/";

    /// <summary>
    /// While the probe fails, answer narinfos whose NAR is not in the spool with 404 storage_unhealthy at once:
    /// the NAR behind them would come back empty, and a 404 now lets Nix build instead of trying.
    /// </summary>
    public bool DegradedNarInfo404 { get; set; } = true;
}
