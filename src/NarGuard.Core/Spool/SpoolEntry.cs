namespace NarGuard.Core.Spool;

/// <summary>A verified NAR in the spool: the compressed body exactly as the upstream sent it, and the narinfo it was verified against.</summary>
public sealed record SpoolEntry(string StoreHash, string NarHashNix32, string NarPath, string NarInfoPath, long Length);
