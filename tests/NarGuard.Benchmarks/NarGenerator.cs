using System.Buffers.Binary;
using System.Text;

namespace NarGuard.Benchmarks;

/// <summary>
/// A deterministic NAR of one regular file whose contents mix text and pseudo-random bytes, so that it compresses
/// like a mixed store path (zstd -3 on Attic's 64 KiB chunks: about 1.75x) and costs the decompressor real
/// work. The same name and size always give the same bytes, on every machine and run.
/// </summary>
public static class NarGenerator
{
    // 4 KiB blocks; this share of them are pseudo-random (incompressible), the rest text.
    private const int BlockSize = 4096;
    private const int RandomBlocksPerTen = 3;

    private static readonly byte[][] Words = BuildWords();

    /// <summary>A NAR (nix-archive-1, one regular file) whose contents are <paramref name="contentBytes"/> long.</summary>
    public static byte[] Create(string name, long contentBytes)
    {
        var header = Framing("nix-archive-1", "(", "type", "regular", "contents");
        var trailer = Framing(")");
        long padded = (contentBytes + 7) & ~7L;
        long total = header.Length + 8 + padded + trailer.Length;
        if (total > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(contentBytes), "a NAR must fit in one array (< 2 GiB)");
        }
        var nar = new byte[total];
        header.CopyTo(nar, 0);
        BinaryPrimitives.WriteInt64LittleEndian(nar.AsSpan(header.Length), contentBytes);
        FillContents(nar.AsSpan(header.Length + 8, checked((int)contentBytes)), Seed(name));
        trailer.CopyTo(nar, total - trailer.Length);
        return nar;
    }

    /// <summary>Parses sizes like 512MiB, 1GiB, 64MiB, 4096.</summary>
    public static long ParseSize(string text)
    {
        (string suffix, long unit)[] units = [("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10)];
        foreach (var (suffix, unit) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return long.Parse(text[..^suffix.Length], System.Globalization.CultureInfo.InvariantCulture) * unit;
            }
        }
        return long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void FillContents(Span<byte> contents, ulong seed)
    {
        var state = seed | 1;
        long line = 0;
        for (int offset = 0; offset < contents.Length; offset += BlockSize)
        {
            var block = contents.Slice(offset, Math.Min(BlockSize, contents.Length - offset));
            if ((int)(Next(ref state) % 10) < RandomBlocksPerTen)
            {
                for (int i = 0; i + 8 <= block.Length; i += 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(block[i..], Next(ref state));
                }
                for (int i = block.Length & ~7; i < block.Length; i++)
                {
                    block[i] = (byte)Next(ref state);
                }
                continue;
            }
            int at = 0;
            while (at < block.Length)
            {
                // "<line number> word word word ...\n": numbers and a small vocabulary, like logs, scripts and symbol tables.
                at += Put(block[at..], Encoding.ASCII.GetBytes((line++).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                int words = 3 + (int)(Next(ref state) % 9);
                for (int w = 0; w < words && at < block.Length; w++)
                {
                    at += Put(block[at..], " "u8);
                    at += Put(block[at..], Words[Next(ref state) % (ulong)Words.Length]);
                }
                at += Put(block[at..], "\n"u8);
            }
        }
    }

    private static int Put(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        int n = Math.Min(destination.Length, bytes.Length);
        bytes[..n].CopyTo(destination);
        return n;
    }

    // xorshift64*: fast, deterministic, good enough to defeat a compressor.
    private static ulong Next(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717UL;
    }

    private static ulong Seed(string name)
    {
        var digest = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("narguard-bench:" + name));
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static byte[][] BuildWords()
    {
        var state = 0x9E3779B97F4A7C15UL;
        var words = new byte[512][];
        for (int i = 0; i < words.Length; i++)
        {
            var word = new byte[2 + (int)(Next(ref state) % 10)];
            for (int j = 0; j < word.Length; j++)
            {
                word[j] = (byte)('a' + (int)(Next(ref state) % 26));
            }
            words[i] = word;
        }
        return words;
    }

    // NAR strings: u64 little-endian length, the bytes, zero padding to a multiple of 8.
    private static byte[] Framing(params string[] strings)
    {
        var output = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var s in strings)
        {
            var bytes = Encoding.ASCII.GetBytes(s);
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            output.Write(length);
            output.Write(bytes);
            output.Write(new byte[(8 - bytes.Length % 8) % 8]);
        }
        return output.ToArray();
    }
}
