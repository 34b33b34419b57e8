using System.IO.Compression;
using NarGuard.Core.NarInfos;
using SharpCompress.Compressors.BZip2;
using ZstdSharp;

namespace NarGuard.Core.Verification;

/// <summary>
/// Picks the decoder for a narinfo's Compression. Every decoder reads the tap and returns 0 only at the proper end
/// of its compressed data; a cut-off body makes it throw (or, for gzip and bzip2, end early, which NarSize catches).
/// </summary>
internal static class NarDecompressor
{
    public static bool IsSupported(NarCompression compression) => compression is
        NarCompression.None or NarCompression.Zstd or NarCompression.Xz or NarCompression.Bzip2 or NarCompression.Brotli or NarCompression.Gzip;

    public static Stream Open(NarCompression compression, SourceTap tap) => compression switch
    {
        // Identity: the tap's bytes are the NAR; the verifier's own 128 KiB reads go straight from the source.
        NarCompression.None => tap,
        // ZSTD_decompressStream runs frame after frame, so Attic's concatenated chunks need nothing special;
        // checkEndOfStream turns a body cut inside a frame (including its checksum) into EndOfStreamException,
        // and bytes after the last frame that are not a frame make it throw "Unknown frame descriptor".
        NarCompression.Zstd => new DecompressionStream(tap, NarVerifier.BufferSize, checkEndOfStream: true, leaveOpen: true),
        NarCompression.Xz => new XzDecoderStream(tap),
        NarCompression.Brotli => new BrotliDecoderStream(tap),
        // Known gaps, both formats unused by Attic and rare in Nix caches: GZipStream accepts a body cut inside the
        // last member's 8-byte trailer and ignores bytes after the last member; SharpCompress's bzip2 accepts a body
        // cut exactly before the end-of-stream marker. The NAR itself is still counted and hashed in full.
        NarCompression.Gzip => new GZipStream(tap, CompressionMode.Decompress, leaveOpen: true),
        NarCompression.Bzip2 => new SyncDecoderStream(tap, static s => BZip2Stream.Create(
            s, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: true)),
        _ => throw new NotSupportedException($"compression {compression}"),
    };
}
