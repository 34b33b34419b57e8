using ZstdSharp;

namespace NarGuard.Core.Tests.Verification;

/// <summary>Generated stand-ins for big NARs: file names, text and incompressible runs, deterministic per seed.</summary>
internal static class NarLikeData
{
    public static byte[] Generate(int length, int seed)
    {
        var data = new byte[length];
        var random = new Random(seed);
        int pos = 0;
        int entry = 0;
        while (pos < length)
        {
            var header = System.Text.Encoding.ASCII.GetBytes($"entry(name /nix/store/file-{entry++:D8}.so type regular contents ");
            int n = Math.Min(header.Length, length - pos);
            header.AsSpan(0, n).CopyTo(data.AsSpan(pos));
            pos += n;
            int run = Math.Min(random.Next(512, 8192), length - pos);
            random.NextBytes(data.AsSpan(pos, run / 2));
            data.AsSpan(pos + run / 2, run - run / 2).Fill((byte)'a');
            pos += run;
        }
        return data;
    }

    public static byte[] ZstdFrames(byte[] data, int frameSize, int level = 1)
    {
        using var compressor = new Compressor(level);
        var output = new MemoryStream();
        for (int offset = 0; offset < data.Length; offset += frameSize)
        {
            var frame = compressor.Wrap(data.AsSpan(offset, Math.Min(frameSize, data.Length - offset)));
            output.Write(frame);
        }
        return output.ToArray();
    }
}
