using System.IO.Compression;

namespace NarGuard.Core.Verification;

/// <summary>
/// Brotli over the tap's buffer, with <see cref="BrotliDecoder"/> rather than <see cref="BrotliStream"/>: BrotliStream
/// ends silently on a cut-off body and swallows whatever follows the end of the brotli stream into its own buffer, so
/// neither truncation nor trailing bytes could be seen. One brotli stream only: Nix's own brotli sink stops at the
/// end of the first stream, so a second one would never reach the client's NAR parser.
/// </summary>
internal sealed class BrotliDecoderStream(SourceTap tap) : ReadOnlyStream
{
    private BrotliDecoder _decoder;
    private bool _done;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        while (true)
        {
            if (TryDecode(destination, out int written))
            {
                return written;
            }
            if (!tap.Fill())
            {
                throw Truncated();
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryDecode(destination.Span, out int written))
            {
                return written;
            }
            if (!await tap.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw Truncated();
            }
        }
    }

    /// <summary>False when the decoder needs more input before it can produce anything.</summary>
    private bool TryDecode(Span<byte> destination, out int written)
    {
        written = 0;
        if (_done || destination.IsEmpty)
        {
            return true;
        }
        var status = _decoder.Decompress(tap.BufferedSpan, destination, out int consumed, out written);
        tap.Advance(consumed);
        switch (status)
        {
            case System.Buffers.OperationStatus.Done:
                _done = true;
                return true;
            case System.Buffers.OperationStatus.DestinationTooSmall:
                return true;
            case System.Buffers.OperationStatus.NeedMoreData:
                return written > 0;
            default:
                throw new InvalidDataException("brotli: invalid data");
        }
    }

    private EndOfStreamException Truncated()
    {
        tap.MarkReadPastEnd();
        return new EndOfStreamException("brotli: compressed data ended early");
    }

    protected override void Dispose(bool disposing)
    {
        _decoder.Dispose();
        base.Dispose(disposing);
    }
}
