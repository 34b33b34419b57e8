namespace NarGuard.Guards;

/// <summary>
/// The verifier's copy target in streamed mode: every compressed byte goes to the spool temp file (errors there
/// count, as spool errors) and to the client's <see cref="StreamingSink"/> (which absorbs the client's own errors).
/// </summary>
public sealed class TeeWriteStream(Stream spool, StreamingSink client) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await spool.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        await client.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The verifier writes asynchronously; a synchronous write (bzip2's decoder path) must still reach both.
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() => spool.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => spool.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
