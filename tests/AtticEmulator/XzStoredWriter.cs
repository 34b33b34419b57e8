using System.Buffers.Binary;

namespace AtticEmulator;

/// <summary>
/// Writes one complete .xz stream (one block, LZMA2 filter, no integrity check) whose LZMA2
/// data is a series of stored chunks. Valid xz for every decoder (xz-utils, liblzma in Nix,
/// SharpCompress); it just does not shrink the data. The BCL and SharpCompress have no xz
/// encoder, and what the emulator must get right is the framing, not the ratio.
/// </summary>
internal static class XzStoredWriter
{
    private const int MaxStoredChunk = 64 * 1024;

    public static byte[] Write(ReadOnlySpan<byte> data)
    {
        var output = new MemoryStream();

        // Stream header: magic, flags (check type 0 = none), CRC32 of the flags.
        ReadOnlySpan<byte> flags = [0x00, 0x00];
        output.Write([0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]);
        output.Write(flags);
        WriteUInt32(output, Crc32.Compute(flags));

        // Block header: size byte, block flags (one filter, no optional sizes), LZMA2 filter
        // (id 0x21, one property byte: dictionary 1 MiB), padding to 4, CRC32. 12 bytes.
        byte[] header = [0x02, 0x00, 0x21, 0x01, 0x10, 0x00, 0x00, 0x00];
        output.Write(header);
        WriteUInt32(output, Crc32.Compute(header));

        // LZMA2 stored chunks: 0x01 (= dictionary reset) first, then 0x02; size-1 big-endian.
        var compressedSize = 0L;
        for (var offset = 0; offset < data.Length; offset += MaxStoredChunk)
        {
            var chunk = data.Slice(offset, Math.Min(MaxStoredChunk, data.Length - offset));
            output.WriteByte(offset == 0 ? (byte)0x01 : (byte)0x02);
            output.WriteByte((byte)((chunk.Length - 1) >> 8));
            output.WriteByte((byte)((chunk.Length - 1) & 0xFF));
            output.Write(chunk);
            compressedSize += 3 + chunk.Length;
        }

        output.WriteByte(0x00); // LZMA2 end marker
        compressedSize += 1;
        var blockPadding = (int)((4 - (compressedSize % 4)) % 4);
        output.Write(new byte[blockPadding]);

        // Index: indicator, one record (unpadded size, uncompressed size), padding, CRC32.
        var index = new MemoryStream();
        index.WriteByte(0x00);
        WriteVarint(index, 1);
        WriteVarint(index, (ulong)(header.Length + 4 + compressedSize));
        WriteVarint(index, (ulong)data.Length);
        while (index.Length % 4 != 0)
        {
            index.WriteByte(0x00);
        }

        var indexBytes = index.ToArray();
        output.Write(indexBytes);
        WriteUInt32(output, Crc32.Compute(indexBytes));

        // Stream footer: CRC32 of (backward size, flags), backward size, flags, magic.
        Span<byte> footer = stackalloc byte[6];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, (uint)((indexBytes.Length + 4) / 4 - 1));
        flags.CopyTo(footer[4..]);
        WriteUInt32(output, Crc32.Compute(footer));
        output.Write(footer);
        output.Write([(byte)'Y', (byte)'Z']);
        return output.ToArray();
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }
}
