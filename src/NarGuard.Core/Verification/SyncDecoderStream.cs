using System.Runtime.InteropServices;

namespace NarGuard.Core.Verification;

/// <summary>
/// Runs a decoder that only reads synchronously (SharpCompress's bzip2) over the tap without blocking a thread on the
/// network: each read first tops the tap up asynchronously, then decodes a bounded amount from buffered bytes.
/// The decoder is created on the first read, because creating it already reads the stream header.
/// </summary>
internal sealed class SyncDecoderStream(SourceTap tap, Func<Stream, Stream> create) : ReadOnlyStream
{
    private const int PrefetchBytes = 64 * 1024;
    private const int MaxOutputPerAsyncRead = 32 * 1024;

    private Stream? _decoder;

    public override int Read(byte[] buffer, int offset, int count) => Decoder.Read(buffer, offset, count);

    public override int Read(Span<byte> destination) => Decoder.Read(destination);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        await tap.PrefetchAsync(PrefetchBytes, cancellationToken).ConfigureAwait(false);
        var slice = destination.Length > MaxOutputPerAsyncRead ? destination[..MaxOutputPerAsyncRead] : destination;
        return MemoryMarshal.TryGetArray<byte>(slice, out var segment)
            ? Decoder.Read(segment.Array!, segment.Offset, segment.Count)
            : Decoder.Read(slice.Span);
    }

    private Stream Decoder => _decoder ??= create(tap);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _decoder?.Dispose();
        }
        base.Dispose(disposing);
    }
}
