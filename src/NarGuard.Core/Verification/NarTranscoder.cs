using System.IO.Compression;
using NarGuard.Core.NarInfos;
using ZstdSharp;

namespace NarGuard.Core.Verification;

/// <summary>
/// Re-encodes a NAR body from one compression into another, through fixed buffers. Used when the only intact copy of
/// a NAR is in another compression than the narinfo the client holds: the client decompresses with ITS narinfo's
/// compression, so those bytes cannot be served as they are. The output is verified again against the client's
/// narinfo before anyone gets it (the caller's job); this class only converts.
/// </summary>
public static class NarTranscoder
{
    /// <summary>The compressions NarGuard can write: zstd (Attic's default), brotli, gzip and none. No xz or bzip2 encoder ships with .NET or ZstdSharp.</summary>
    public static bool CanEncode(NarCompression compression) => compression is NarCompression.None or NarCompression.Zstd or NarCompression.Brotli or NarCompression.Gzip;

    public static bool CanTranscode(NarCompression from, NarCompression to) => from != to && NarDecompressor.IsSupported(from) && CanEncode(to);

    /// <summary>Reads <paramref name="body"/> (compressed as <paramref name="from"/>) to its end and writes the NAR compressed as <paramref name="to"/> into <paramref name="output"/>, which stays open.</summary>
    public static async Task TranscodeAsync(Stream body, NarCompression from, NarCompression to, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(output);
        if (!CanTranscode(from, to))
        {
            throw new NotSupportedException($"cannot transcode {from} to {to}");
        }
        var tap = new SourceTap(body, null, hashFile: false, NarVerifier.BufferSize);
        var decoder = NarDecompressor.Open(from, tap);
        // Fast levels: the copy is a stop-gap for a broken one, and the client waits while it is made.
        Stream encoder = to switch
        {
            NarCompression.None => output,
            NarCompression.Zstd => new CompressionStream(output, level: 3, leaveOpen: true),
            NarCompression.Brotli => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            NarCompression.Gzip => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => throw new NotSupportedException($"cannot encode {to}"),
        };
        try
        {
            await decoder.CopyToAsync(encoder, NarVerifier.BufferSize, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!ReferenceEquals(encoder, output))
            {
                // Disposing writes the last frame / block.
                await encoder.DisposeAsync().ConfigureAwait(false);
            }
            if (!ReferenceEquals(decoder, tap))
            {
                await decoder.DisposeAsync().ConfigureAwait(false);
            }
            tap.Release();
        }
    }
}
