namespace NarGuard.Core.NarInfos;

/// <summary>The Compression field of a narinfo. A missing field means bzip2, as in Nix.</summary>
public enum NarCompression
{
    None,
    Xz,
    Bzip2,
    Zstd,
    Brotli,
    Gzip,
    /// <summary>A name Nix may know but NarGuard cannot decompress (lzip, lz4, ...): such NARs are rejected, never served unverified.</summary>
    Unsupported,
}
