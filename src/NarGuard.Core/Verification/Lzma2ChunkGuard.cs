namespace NarGuard.Core.Verification;

/// <summary>
/// Sits between the tap and SharpCompress's LZMA2 decoder and follows the LZMA2 chunk framing in the bytes the
/// decoder reads, to enforce the one rule that decoder skips: the first byte of every LZMA chunk's range-coder data
/// is 0x00. SharpCompress ignores that byte; liblzma (the client) rejects the block when it is not zero, so without
/// this check a flipped bit there would pass here with an intact NAR and fail in Nix after a 200.
/// Framing: 0x00 ends the data; 0x01/0x02 + 2-byte size: an uncompressed chunk; 0x80..0xFF + 4 size bytes
/// (+ 1 properties byte when control >= 0xC0): an LZMA chunk. Anything else is left to the decoder to reject.
/// </summary>
internal sealed class Lzma2ChunkGuard(Stream inner) : Stream
{
    private enum Part { Control, Header, FirstRangeByte, Data, Ended }

    private Part _part = Part.Control;
    private int _headerLeft;
    private int _headerIndex;
    private int _dataSize;
    private int _dataLeft;
    private bool _lzmaChunk;

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        Observe(buffer.AsSpan(offset, n));
        return n;
    }

    public override int Read(Span<byte> destination)
    {
        int n = inner.Read(destination);
        Observe(destination[..n]);
        return n;
    }

    public override int ReadByte()
    {
        int b = inner.ReadByte();
        if (b >= 0)
        {
            Observe([(byte)b]);
        }
        return b;
    }

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            switch (_part)
            {
                case Part.Control:
                    byte control = bytes[0];
                    bytes = bytes[1..];
                    if (control == 0x00)
                    {
                        _part = Part.Ended;
                    }
                    else if (control is 0x01 or 0x02)
                    {
                        (_lzmaChunk, _headerLeft) = (false, 2);
                        _part = Part.Header;
                    }
                    else if (control >= 0x80)
                    {
                        (_lzmaChunk, _headerLeft) = (true, control >= 0xC0 ? 5 : 4);
                        _part = Part.Header;
                    }
                    else
                    {
                        _part = Part.Ended;
                    }
                    _headerIndex = 0;
                    _dataSize = 0;
                    break;
                case Part.Header:
                    // Uncompressed chunk: 2 bytes of size - 1. LZMA chunk: 2 bytes of unpacked size, then the 2 bytes
                    // of packed size - 1 that matter here, then maybe the properties byte.
                    byte h = bytes[0];
                    bytes = bytes[1..];
                    bool sizeByte = _lzmaChunk ? _headerIndex is 2 or 3 : _headerIndex is 0 or 1;
                    if (sizeByte)
                    {
                        _dataSize = (_dataSize << 8) | h;
                    }
                    _headerIndex++;
                    if (--_headerLeft == 0)
                    {
                        _dataLeft = _dataSize + 1;
                        _part = _lzmaChunk ? Part.FirstRangeByte : Part.Data;
                    }
                    break;
                case Part.FirstRangeByte:
                    if (bytes[0] != 0x00)
                    {
                        throw new InvalidDataException("xz: LZMA2 chunk does not start its range coder with a zero byte");
                    }
                    bytes = bytes[1..];
                    _part = --_dataLeft == 0 ? Part.Control : Part.Data;
                    break;
                case Part.Data:
                    int skip = Math.Min(_dataLeft, bytes.Length);
                    bytes = bytes[skip..];
                    _dataLeft -= skip;
                    if (_dataLeft == 0)
                    {
                        _part = Part.Control;
                    }
                    break;
                default:
                    return;
            }
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
