namespace NarGuard.Core.Spool;

/// <summary>
/// A verified NAR in the spool: the compressed body exactly as the upstream sent it, and the narinfo it was verified
/// against. <see cref="Length"/> and <see cref="WrittenUtc"/> are the body file's size and mtime when it was committed
/// (or found at start): a file whose size or mtime differs was changed after verification and is never served.
/// </summary>
public sealed record SpoolEntry(string StoreHash, string NarHashNix32, string NarPath, string NarInfoPath, long Length, DateTime WrittenUtc = default);
