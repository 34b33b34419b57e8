using NarGuard.Storage;

namespace NarGuard.Publication;

/// <summary>
/// The bucket-index state at one moment, as evidence around a push: <see cref="State"/> is a bounded label
/// (ok, failed, unknown before the first probe, not_configured without Storage:Endpoint).
/// </summary>
public sealed record StorageSnapshot(string State, string? Check, string? Bucket, string? Detail, DateTimeOffset? CheckedAt)
{
    public const string Ok = "ok";
    public const string Failed = "failed";
    public const string Unknown = "unknown";
    public const string NotConfigured = "not_configured";

    public bool IsFailed => State == Failed;

    public static StorageSnapshot Of(StorageHealth health) => health switch
    {
        { IsConfigured: false } => new(NotConfigured, null, null, null, null),
        { Last: null } => new(Unknown, null, null, "no storage probe has finished yet", null),
        { Last: { } last } => From(last),
    };

    public static StorageSnapshot From(StorageProbeResult result) =>
        new(result.Ok ? Ok : Failed, result.FailedCheck, result.Bucket, result.Detail, result.CheckedAt);

    /// <summary>One log-friendly phrase: "ok", "failed check=list_buckets bucket=attic (bucket 'attic' is missing ...)".</summary>
    public string Describe() => State switch
    {
        Failed => $"failed check={Check} bucket={Bucket} ({Detail})",
        Ok => "ok",
        _ => State,
    };
}
