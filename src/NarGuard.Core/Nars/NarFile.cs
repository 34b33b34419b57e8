using System.Buffers.Binary;
using System.Text;

namespace NarGuard.Core.Nars;

/// <summary>
/// Writes the NAR serialisation (the format of <c>nix-store --dump</c>) of a store path that is one regular file:
/// what the demo, the publication probe and the soak test publish. Strings are a 64-bit little-endian length, the
/// bytes, and zero padding to a multiple of 8.
/// </summary>
public static class NarFile
{
    public static byte[] OfRegularFile(ReadOnlySpan<byte> contents)
    {
        using var stream = new MemoryStream(contents.Length + 256);
        foreach (var token in (ReadOnlySpan<string>)["nix-archive-1", "(", "type", "regular", "contents"])
        {
            WriteString(stream, Encoding.ASCII.GetBytes(token));
        }
        WriteString(stream, contents);
        WriteString(stream, ")"u8);
        return stream.ToArray();
    }

    private static void WriteString(Stream stream, ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)value.Length);
        stream.Write(length);
        stream.Write(value);
        Span<byte> padding = stackalloc byte[8];
        padding.Clear();
        stream.Write(padding[..((8 - value.Length % 8) % 8)]);
    }
}
