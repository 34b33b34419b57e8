namespace NarGuard.Publication;

/// <summary>A pushed path that failed its read-back: narinfo and NAR answer 404 publication_hold until it verifies.</summary>
/// <param name="StoreHash">The 32-character hash part.</param>
/// <param name="StorePath">The full store path, when the push named it.</param>
/// <param name="Reason">The read-back's verdict (a rejection label: empty, truncated, upstream_status, ...).</param>
/// <param name="Since">When the hold was set.</param>
/// <param name="Expires">When it ends by itself (Publication:HoldTtl) if nothing verifies the path first.</param>
/// <param name="LastCheck">When a read-back of it was last queued.</param>
public sealed record PublicationHold(string StoreHash, string? StorePath, string Reason, DateTimeOffset Since, DateTimeOffset Expires, DateTimeOffset LastCheck)
{
    public string Describe() => $"held since {Since:O}: publication read-back failed ({Reason}); lifted when a read-back verifies it";
}
