using System.Runtime.InteropServices;

namespace NarGuard.Benchmarks;

/// <summary>
/// The system's libzstd (Debian's libzstd1, the library behind the zstd CLI) through ZSTD_decompressStream, for the
/// "what-if" rows of <see cref="VerifierBenchmarks"/>: how fast the verifier's decompression stage could be with a
/// native decoder instead of ZstdSharp's managed port. Benchmark code only; NarGuard does not use it.
/// </summary>
internal static unsafe partial class NativeZstd
{
    private const string Library = "libzstd.so.1";

    [StructLayout(LayoutKind.Sequential)]
    private struct Buffer
    {
        public void* Data;
        public nuint Size;
        public nuint Pos;
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    private static partial nint CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    private static partial nuint FreeDCtx(nint dctx);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    private static partial nuint DecompressStream(nint dctx, Buffer* output, Buffer* input);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    private static partial uint IsError(nuint code);

    /// <summary>Decompresses every frame of <paramref name="body"/> through a <paramref name="bufferSize"/> output
    /// buffer, handing each filled piece to <paramref name="consume"/>; returns the decompressed byte count.</summary>
    public static long Decompress(byte[] body, int bufferSize, Action<byte[], int>? consume)
    {
        var output = new byte[bufferSize];
        nint dctx = CreateDCtx();
        try
        {
            long total = 0;
            fixed (byte* input = body)
            fixed (byte* destination = output)
            {
                var inBuffer = new Buffer { Data = input, Size = (nuint)body.Length, Pos = 0 };
                while (true)
                {
                    var outBuffer = new Buffer { Data = destination, Size = (nuint)bufferSize, Pos = 0 };
                    nuint code = DecompressStream(dctx, &outBuffer, &inBuffer);
                    if (IsError(code) != 0)
                    {
                        throw new InvalidDataException($"ZSTD_decompressStream failed ({code})");
                    }
                    int produced = (int)outBuffer.Pos;
                    total += produced;
                    if (produced > 0)
                    {
                        consume?.Invoke(output, produced);
                    }
                    // Done when all input is consumed and the decoder had nothing more to flush.
                    if (inBuffer.Pos == inBuffer.Size && produced < bufferSize)
                    {
                        return total;
                    }
                }
            }
        }
        finally
        {
            FreeDCtx(dctx);
        }
    }
}
