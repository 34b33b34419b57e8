namespace NarGuard.Publication.Probe;

/// <summary>
/// One path probe-publish pushes: what Attic's UploadPathNarInfo needs, and how to open its NAR (a synthetic one
/// in memory, or <c>nix-store --dump</c> streaming from the local store).
/// </summary>
/// <param name="StorePath">Full store path.</param>
/// <param name="StoreHash">Its 32-character hash part.</param>
/// <param name="Origin">Where it comes from: <c>fixed</c> (the small profile's path, the same every run), <c>fresh</c> (new every run) or <c>store</c> (--closure).</param>
/// <param name="NarSize">NarSize.</param>
/// <param name="NarHashHex">SHA-256 of the NAR, 64 lower-case hex characters (Attic's form).</param>
/// <param name="References">Referenced store paths, full paths.</param>
/// <param name="Deriver">Deriver store path, or null.</param>
/// <param name="OpenNar">Opens the NAR for one upload.</param>
public sealed record PublishPath(string StorePath, string StoreHash, string Origin, long NarSize, string NarHashHex, IReadOnlyList<string> References, string? Deriver,
    Func<CancellationToken, Task<Stream>> OpenNar)
{
    public const string Fixed = "fixed";
    public const string Fresh = "fresh";
    public const string Store = "store";
}
