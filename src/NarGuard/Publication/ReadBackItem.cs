namespace NarGuard.Publication;

/// <summary>A path to read back: after a push Attic accepted (<c>uploaded</c>, <c>deduplicated</c>) or because a held path was asked for (<c>recheck</c>).</summary>
public sealed record ReadBackItem(string StoreHash, string? StorePath, string Trigger, DateTimeOffset QueuedAt)
{
    public const string Uploaded = "uploaded";
    public const string Deduplicated = "deduplicated";
    public const string Recheck = "recheck";
}
