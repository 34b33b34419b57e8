namespace NarGuard.Publication.Probe;

/// <summary>
/// What happened to one path's push: <see cref="Result"/> is <c>uploaded</c>, <c>deduplicated</c>, <c>present</c>
/// (get-missing-paths said the cache has it: not pushed), <c>failed</c> (5xx or no answer), <c>refused</c> (503
/// StorageUnhealthy from a NarGuard gate) or <c>rejected</c> (another 4xx).
/// </summary>
public sealed record PushOutcome(string Result, int? Status, string? Error, string? Message)
{
    public const string Uploaded = "uploaded";
    public const string Deduplicated = "deduplicated";
    public const string Present = "present";
    public const string Failed = "failed";
    public const string Refused = "refused";
    public const string Rejected = "rejected";

    public bool IsOk => Result is Uploaded or Deduplicated or Present;

    public static readonly PushOutcome AlreadyPresent = new(Present, null, null, null);
}
