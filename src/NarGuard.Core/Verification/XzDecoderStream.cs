using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SharpCompress.Compressors.Xz;
using SharpCompress.Compressors.Xz.Filters;

namespace NarGuard.Core.Verification;

/// <summary>
/// The .xz container (streams, blocks, index, footer, padding), decoded here over SharpCompress's LZMA2/BCJ filters.
/// Why not SharpCompress's <see cref="XZStream"/>: it stops after the first stream (Attic concatenates one xz stream
/// per chunk), and it checks neither the block check (CRC32/CRC64/SHA-256) nor the index. Nix unpacks with liblzma,
/// which checks all of that, so a body XZStream accepts could still fail in the client after a 200. This decoder is
/// at least as strict as liblzma: anything it accepts, the client can unpack. It reads the tap byte-exactly (the LZMA
/// decoder does not read ahead), so stream padding, the next stream and trailing garbage are all seen.
/// </summary>
internal sealed partial class XzDecoderStream(SourceTap tap) : ReadOnlyStream
{
    // The LZMA decoder allocates its dictionary up front; xz -9 uses 64 MiB. Anything larger is not a NAR cache's doing.
    private const long MaxDictionarySize = 64L << 20;
    // The LZMA decoder reads synchronously; before each decode step the tap is topped up asynchronously and the
    // output asked for is kept small, so the synchronous reads nearly always hit buffered bytes.
    private const int PrefetchBytes = 64 * 1024;
    private const int MaxOutputPerAsyncRead = 32 * 1024;
    private const ulong VliMax = long.MaxValue;

    private enum State { StreamHeader, BlockOrIndex, BlockData, End }

    private readonly byte[] _scratch = new byte[1024];
    private State _state;

    private ushort _streamFlags;
    private int _checkType;
    private int _checkSize;
    private ulong _blocks;
    private ulong _unpaddedSum;
    private ulong _uncompressedSum;
    private ulong _recordsCrc;
    private long _indexSize;

    private Stream? _block;
    private long _blockStart;
    private int _blockHeaderSize;
    private ulong? _declaredCompressed;
    private ulong? _declaredUncompressed;
    private ulong _blockOut;
    private uint _crc32;
    private ulong _crc64;
    private IncrementalHash? _sha256;

    public override int Read(byte[] buffer, int offset, int count) => ReadCore(buffer, offset, count);

    public override int Read(Span<byte> destination)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(destination.Length);
        try
        {
            int n = ReadCore(rented, 0, destination.Length);
            rented.AsSpan(0, n).CopyTo(destination);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        await tap.PrefetchAsync(PrefetchBytes, cancellationToken).ConfigureAwait(false);
        var slice = destination.Length > MaxOutputPerAsyncRead ? destination[..MaxOutputPerAsyncRead] : destination;
        return MemoryMarshal.TryGetArray<byte>(slice, out var segment)
            ? ReadCore(segment.Array!, segment.Offset, segment.Count)
            : Read(slice.Span);
    }

    private int ReadCore(byte[] buffer, int offset, int count)
    {
        if (count == 0)
        {
            return 0;
        }
        while (true)
        {
            switch (_state)
            {
                case State.StreamHeader:
                    ReadStreamHeader();
                    _state = State.BlockOrIndex;
                    break;
                case State.BlockOrIndex:
                    int first = ReadRequiredByte();
                    if (first != 0)
                    {
                        StartBlock(first);
                        _state = State.BlockData;
                    }
                    else
                    {
                        ReadIndex();
                        ReadFooter();
                        _state = SkipStreamPadding() ? State.StreamHeader : State.End;
                    }
                    break;
                case State.BlockData:
                    int n = _block!.Read(buffer, offset, count);
                    if (n > 0)
                    {
                        UpdateCheck(buffer.AsSpan(offset, n));
                        _blockOut += (ulong)n;
                        if (_blockOut > _declaredUncompressed)
                        {
                            throw Corrupt("block larger than its header says");
                        }
                        return n;
                    }
                    FinishBlock();
                    _state = State.BlockOrIndex;
                    break;
                default:
                    return 0;
            }
        }
    }

    private void ReadStreamHeader()
    {
        var header = _scratch.AsSpan(0, 12);
        ReadExact(header);
        if (!header[..6].SequenceEqual((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]))
        {
            throw Corrupt("not an xz stream");
        }
        if (Crc32Of(header.Slice(6, 2)) != BinaryPrimitives.ReadUInt32LittleEndian(header[8..]))
        {
            throw Corrupt("stream header CRC32 mismatch");
        }
        if (header[6] != 0 || (header[7] & 0xF0) != 0)
        {
            throw Corrupt("unsupported stream flags");
        }
        _streamFlags = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        _checkType = header[7];
        _checkSize = _checkType switch
        {
            0x00 => 0,
            0x01 => 4,
            0x04 => 8,
            0x0A => 32,
            _ => throw Corrupt($"unsupported check type {_checkType}"),
        };
        _blocks = _unpaddedSum = _uncompressedSum = _recordsCrc = 0;
    }

    private void StartBlock(int sizeByte)
    {
        _blockHeaderSize = (sizeByte + 1) * 4;
        var header = _scratch.AsSpan(0, _blockHeaderSize);
        header[0] = (byte)sizeByte;
        ReadExact(header[1..]);
        int crcAt = _blockHeaderSize - 4;
        if (Crc32Of(header[..crcAt]) != BinaryPrimitives.ReadUInt32LittleEndian(header[crcAt..]))
        {
            throw Corrupt("block header CRC32 mismatch");
        }
        byte flags = header[1];
        if ((flags & 0x3C) != 0)
        {
            throw Corrupt("reserved block flags set");
        }
        int pos = 2;
        _declaredCompressed = (flags & 0x40) != 0 ? DecodeVli(header[..crcAt], ref pos) : null;
        _declaredUncompressed = (flags & 0x80) != 0 ? DecodeVli(header[..crcAt], ref pos) : null;
        if (_declaredCompressed == 0)
        {
            throw Corrupt("block compressed size is zero");
        }

        int filterCount = (flags & 0x03) + 1;
        int filterStart = pos;
        for (int i = 0; i < filterCount; i++)
        {
            ulong id = DecodeVli(header[..crcAt], ref pos);
            ulong propsSize = DecodeVli(header[..crcAt], ref pos);
            if (propsSize > (ulong)(crcAt - pos))
            {
                throw Corrupt("filter properties run past the block header");
            }
            if (id == 0x21 && (propsSize != 1 || Lzma2DictionarySize(header[pos]) > MaxDictionarySize))
            {
                throw Corrupt("LZMA2 dictionary too large or malformed");
            }
            pos += (int)propsSize;
        }
        if (header[pos..crcAt].ContainsAnyExcept((byte)0))
        {
            throw Corrupt("block header padding is not zero");
        }

        // SharpCompress parses the filter flags and builds the filters; the chain is built last to first, so the
        // last filter (LZMA2) reads the tap and the first one (a BCJ filter, if any) is the one we read from.
        var filters = new BlockFilter[filterCount];
        using (var reader = new BinaryReader(new MemoryStream(_scratch, filterStart, pos - filterStart, writable: false)))
        {
            for (int i = 0; i < filterCount; i++)
            {
                var filter = BlockFilter.Read(reader);
                bool last = i == filterCount - 1;
                if (last ? !filter.AllowAsLast : !filter.AllowAsNonLast)
                {
                    throw Corrupt("block filters in a bad order");
                }
                filter.ValidateFilter();
                filters[i] = filter;
            }
        }
        Stream chain = filters[^1] is Lzma2Filter ? new Lzma2ChunkGuard(tap) : tap;
        for (int i = filterCount - 1; i >= 0; i--)
        {
            filters[i].SetBaseStream(chain);
            chain = filters[i];
        }
        _block = chain;
        _blockStart = tap.Position - _blockHeaderSize;
        _blockOut = 0;
        _crc32 = uint.MaxValue;
        _crc64 = ulong.MaxValue;
        if (_checkType == 0x0A)
        {
            _sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    private void FinishBlock()
    {
        _block!.Dispose();
        _block = null;
        long compressed = tap.Position - _blockStart - _blockHeaderSize;
        if (_declaredCompressed is { } c && c != (ulong)compressed)
        {
            throw Corrupt("block compressed size differs from its header");
        }
        if (_declaredUncompressed is { } u && u != _blockOut)
        {
            throw Corrupt("block uncompressed size differs from its header");
        }
        int padding = (int)((4 - ((_blockHeaderSize + compressed) & 3)) & 3);
        if (padding > 0)
        {
            var pad = _scratch.AsSpan(0, padding);
            ReadExact(pad);
            if (pad.ContainsAnyExcept((byte)0))
            {
                throw Corrupt("block padding is not zero");
            }
        }
        var stored = _scratch.AsSpan(0, _checkSize);
        ReadExact(stored);
        bool ok = _checkType switch
        {
            0x00 => true,
            0x01 => BinaryPrimitives.ReadUInt32LittleEndian(stored) == ~_crc32,
            0x04 => BinaryPrimitives.ReadUInt64LittleEndian(stored) == ~_crc64,
            _ => CheckSha256(stored),
        };
        if (!ok)
        {
            throw Corrupt("block check mismatch");
        }
        AddRecord(ref _recordsCrc, (ulong)(_blockHeaderSize + compressed + _checkSize), _blockOut);
        _blocks++;
        _unpaddedSum += (ulong)(_blockHeaderSize + compressed + _checkSize);
        _uncompressedSum += _blockOut;
    }

    private bool CheckSha256(ReadOnlySpan<byte> stored)
    {
        Span<byte> actual = stackalloc byte[32];
        _sha256!.GetHashAndReset(actual);
        return actual.SequenceEqual(stored);
    }

    private void UpdateCheck(ReadOnlySpan<byte> data)
    {
        switch (_checkType)
        {
            case 0x01:
                _crc32 = Crc32.Update(_crc32, data);
                break;
            case 0x04:
                _crc64 = Crc64.UpdateXz(_crc64, data);
                break;
            case 0x0A:
                _sha256!.AppendData(data);
                break;
        }
    }

    private void ReadExact(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = tap.Read(destination);
            if (n == 0)
            {
                throw new EndOfStreamException("xz: compressed data ended early");
            }
            destination = destination[n..];
        }
    }

    private int ReadRequiredByte()
    {
        int b = tap.ReadByte();
        return b >= 0 ? b : throw new EndOfStreamException("xz: compressed data ended early");
    }

    private static InvalidDataException Corrupt(string what) => new($"xz: {what}");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _block?.Dispose();
            _block = null;
            _sha256?.Dispose();
        }
        base.Dispose(disposing);
    }
}
