using System.Buffers.Binary;
using System.Text;

namespace NarGuard.Tests.Support;

/// <summary>Writes real NAR serialisations (the format of nix-store --dump) of a single regular file.</summary>
public static class Nar
{
    public static byte[] OfFile(byte[] contents, bool executable = false)
    {
        using var stream = new MemoryStream();
        Str(stream, "nix-archive-1");
        Str(stream, "(");
        Str(stream, "type");
        Str(stream, "regular");
        if (executable)
        {
            Str(stream, "executable");
            Str(stream, "");
        }
        Str(stream, "contents");
        Bytes(stream, contents);
        Str(stream, ")");
        return stream.ToArray();
    }

    /// <summary>A NAR of <paramref name="size"/> bytes of text that compresses like real files do (not random, not all zeros).</summary>
    public static byte[] OfText(string seed, int size)
    {
        var text = new StringBuilder(size + 64);
        for (var i = 0; text.Length < size; i++)
        {
            text.Append(seed).Append(' ').Append(i).Append(" the quick brown fox jumps over the lazy dog\n");
        }
        return OfFile(Encoding.ASCII.GetBytes(text.ToString(0, size)));
    }

    private static void Str(Stream stream, string value) => Bytes(stream, Encoding.ASCII.GetBytes(value));

    private static void Bytes(Stream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)value.Length);
        stream.Write(length);
        stream.Write(value);
        var padding = (8 - value.Length % 8) % 8;
        stream.Write(new byte[padding]);
    }
}
