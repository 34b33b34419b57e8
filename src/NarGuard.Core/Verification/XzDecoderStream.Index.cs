using System.Buffers.Binary;
using SharpCompress.Compressors.Xz;

namespace NarGuard.Core.Verification;

/// <summary>The end of each xz stream (index, footer, stream padding) and the format's small encodings.</summary>
internal sealed partial class XzDecoderStream
{
    // The index lists every block of the stream; instead of keeping a list (memory would grow with the NAR), both
    // sides are folded into counts, sums and a CRC64 of the records, as liblzma does with its own hash.
    private void ReadIndex()
    {
        uint crc = Crc32.Update(uint.MaxValue, [0]);
        long size = 1;
        ulong count = ReadIndexVli(ref crc, ref size);
        if (count != _blocks)
        {
            throw Corrupt("index block count mismatch");
        }
        ulong unpaddedSum = 0, uncompressedSum = 0, recordsCrc = 0;
        for (ulong i = 0; i < count; i++)
        {
            ulong unpadded = ReadIndexVli(ref crc, ref size);
            ulong uncompressed = ReadIndexVli(ref crc, ref size);
            unpaddedSum += unpadded;
            uncompressedSum += uncompressed;
            AddRecord(ref recordsCrc, unpadded, uncompressed);
        }
        if (unpaddedSum != _unpaddedSum || uncompressedSum != _uncompressedSum || recordsCrc != _recordsCrc)
        {
            throw Corrupt("index does not match the blocks");
        }
        while ((size & 3) != 0)
        {
            byte b = (byte)ReadRequiredByte();
            if (b != 0)
            {
                throw Corrupt("index padding is not zero");
            }
            crc = Crc32.Update(crc, [b]);
            size++;
        }
        var stored = _scratch.AsSpan(0, 4);
        ReadExact(stored);
        if (BinaryPrimitives.ReadUInt32LittleEndian(stored) != ~crc)
        {
            throw Corrupt("index CRC32 mismatch");
        }
        _indexSize = size + 4;
    }

    private void ReadFooter()
    {
        var footer = _scratch.AsSpan(0, 12);
        ReadExact(footer);
        if (footer[10] != (byte)'Y' || footer[11] != (byte)'Z')
        {
            throw Corrupt("stream footer magic missing");
        }
        if (Crc32Of(footer.Slice(4, 6)) != BinaryPrimitives.ReadUInt32LittleEndian(footer))
        {
            throw Corrupt("stream footer CRC32 mismatch");
        }
        long backwardSize = ((long)BinaryPrimitives.ReadUInt32LittleEndian(footer[4..]) + 1) * 4;
        if (backwardSize != _indexSize || BinaryPrimitives.ReadUInt16LittleEndian(footer[8..]) != _streamFlags)
        {
            throw Corrupt("stream footer does not match its header and index");
        }
    }

    /// <summary>After a stream: skips stream padding (zero bytes, four at a time). True when another stream follows.</summary>
    private bool SkipStreamPadding()
    {
        while (true)
        {
            if (tap.Buffered == 0 && !tap.Fill())
            {
                return false;
            }
            if (tap.BufferedSpan[0] != 0)
            {
                return true;
            }
            var pad = _scratch.AsSpan(0, 4);
            ReadExact(pad);
            if (pad.ContainsAnyExcept((byte)0))
            {
                throw Corrupt("stream padding is not a multiple of four zero bytes");
            }
        }
    }

    private static void AddRecord(ref ulong crc, ulong unpadded, ulong uncompressed)
    {
        Span<byte> record = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(record, unpadded);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], uncompressed);
        crc = Crc64.UpdateXz(crc, record);
    }

    private ulong ReadIndexVli(ref uint crc, ref long size)
    {
        ulong value = 0;
        for (int i = 0; i < 9; i++)
        {
            byte b = (byte)ReadRequiredByte();
            crc = Crc32.Update(crc, [b]);
            size++;
            if (i > 0 && b == 0)
            {
                throw Corrupt("non-minimal integer");
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return value <= VliMax ? value : throw Corrupt("integer too large");
            }
        }
        throw Corrupt("integer too long");
    }

    private static ulong DecodeVli(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong value = 0;
        for (int i = 0; i < 9; i++)
        {
            if (pos >= data.Length)
            {
                throw Corrupt("block header field runs past the header");
            }
            byte b = data[pos++];
            if (i > 0 && b == 0)
            {
                throw Corrupt("non-minimal integer");
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return value <= VliMax ? value : throw Corrupt("integer too large");
            }
        }
        throw Corrupt("integer too long");
    }

    private static long Lzma2DictionarySize(byte props)
    {
        int bits = props & 0x3F;
        if ((props & 0xC0) != 0 || bits > 40)
        {
            return long.MaxValue;
        }
        return bits == 40 ? uint.MaxValue : (long)(2 | (bits & 1)) << (bits / 2 + 11);
    }

    private static uint Crc32Of(ReadOnlySpan<byte> data) => ~Crc32.Update(uint.MaxValue, data);
}
