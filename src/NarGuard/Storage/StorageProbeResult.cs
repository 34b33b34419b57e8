namespace NarGuard.Storage;

/// <summary>
/// The outcome of one storage probe, as the readiness report and the telemetry read it.
/// </summary>
/// <param name="Ok">Every check passed.</param>
/// <param name="FailedCheck">The check that failed: <c>list_buckets</c>, <c>head_bucket</c> or <c>scratch_round_trip</c> (a bounded label).</param>
/// <param name="Bucket">The bucket the failed check was about, when it was about one.</param>
/// <param name="Detail">One line: the S3 error code and status, or the connection error kind. Never a credential.</param>
/// <param name="CheckedAt">When the probe finished.</param>
/// <param name="Duration">How long the probe took.</param>
/// <param name="ConsecutiveFailures">Failed probes in a row, this one included (0 when it passed).</param>
public sealed record StorageProbeResult(bool Ok, string? FailedCheck, string? Bucket, string Detail, DateTimeOffset CheckedAt, TimeSpan Duration, int ConsecutiveFailures)
{
    public const string ListBuckets = "list_buckets";
    public const string HeadBucket = "head_bucket";
    public const string ScratchRoundTrip = "scratch_round_trip";
}
