using System.IO.Compression;
using ZstdSharp;

namespace AtticEmulator;

/// <summary>Compresses a NAR the way Attic stores it: cut into chunks, each chunk compressed on
/// its own, the results concatenated.</summary>
internal static class ChunkedCompressor
{
    /// <summary>Returns the body and the length of each compressed chunk in it.</summary>
    public static (byte[] Body, int[] ChunkLengths) Compress(ReadOnlySpan<byte> nar, BodyCompression compression, int chunkSize)
    {
        if (compression == BodyCompression.Br)
        {
            var whole = Brotli(nar);
            return (whole, SplitLengths(whole.Length, chunkSize));
        }

        var body = new MemoryStream();
        var lengths = new List<int>();
        using var zstd = compression == BodyCompression.Zstd ? new Compressor(3) : null;
        // An empty NAR still gets one (empty) chunk so that every body is a valid stream.
        for (var offset = 0; offset < nar.Length || offset == 0; offset += chunkSize)
        {
            var chunk = nar.Slice(offset, Math.Min(chunkSize, nar.Length - offset));
            byte[] compressed = compression switch
            {
                BodyCompression.Zstd => zstd!.Wrap(chunk).ToArray(),
                BodyCompression.Xz => XzStoredWriter.Write(chunk),
                BodyCompression.None => chunk.ToArray(),
                _ => throw new ArgumentOutOfRangeException(nameof(compression)),
            };
            body.Write(compressed);
            lengths.Add(compressed.Length);
            if (nar.Length == 0)
            {
                break;
            }
        }

        return (body.ToArray(), lengths.ToArray());
    }

    /// <summary>The <c>Compression:</c> value for a narinfo.</summary>
    public static string Name(BodyCompression compression) => compression switch
    {
        BodyCompression.Zstd => "zstd",
        BodyCompression.Xz => "xz",
        BodyCompression.None => "none",
        BodyCompression.Br => "br",
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    private static byte[] Brotli(ReadOnlySpan<byte> data)
    {
        var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            brotli.Write(data);
        }

        return output.ToArray();
    }

    private static int[] SplitLengths(int total, int chunkSize)
    {
        var lengths = new List<int>();
        for (var offset = 0; offset < total; offset += chunkSize)
        {
            lengths.Add(Math.Min(chunkSize, total - offset));
        }

        return lengths.Count == 0 ? [0] : lengths.ToArray();
    }
}
