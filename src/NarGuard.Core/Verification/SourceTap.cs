using System.Buffers;
using System.Security.Cryptography;

namespace NarGuard.Core.Verification;

/// <summary>
/// The read-through tee between the upstream body and the decompressor. Every compressed byte is taken from the
/// source exactly once, at that moment written to the spool copy, counted (FileSize) and hashed (FileHash), and then
/// handed to the decompressor, either as a <see cref="Stream"/> or, for decoders that report how much input they
/// consumed (Brotli, XZ container parsing), through the buffer API (<see cref="Buffered"/>, <see cref="Advance"/>),
/// so that bytes after the end of the compressed data stay here and can be recognised as trailing garbage.
/// It also remembers who failed: the source (connection reset, stall) or the spool copy, because the decompressor
/// may rethrow or wrap those exceptions and the verifier must still tell a cut-off body from corrupt data.
/// </summary>
internal sealed class SourceTap : Stream
{
    // Reads at least this large bypass the buffer and land directly in the caller's memory (no extra copy);
    // decoders that read in big blocks (zstd, gzip, the verifier itself for Compression: none) take that path.
    private const int DirectReadThreshold = 16 * 1024;

    private readonly Stream _source;
    private readonly Stream? _copyTo;
    private readonly IncrementalHash? _fileHash;
    private byte[]? _buffer;
    private int _start;
    private int _end;

    public SourceTap(Stream source, Stream? copyTo, bool hashFile, int bufferSize)
    {
        _source = source;
        _copyTo = copyTo;
        _fileHash = hashFile ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>Compressed bytes received from the source so far (FileSize).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>The source returned end of stream.</summary>
    public bool EndOfSource { get; private set; }

    /// <summary>A consumer asked for more input after the source had ended: the compressed data is cut short.</summary>
    public bool ReadPastEnd { get; private set; }

    /// <summary>What the source threw, if it threw. Set before the exception is rethrown.</summary>
    public Exception? SourceError { get; private set; }

    /// <summary>What writing to the spool copy threw, if it threw. Set before the exception is rethrown.</summary>
    public Exception? SpoolError { get; private set; }

    /// <summary>Bytes received but not yet consumed.</summary>
    public int Buffered => _end - _start;

    public ReadOnlySpan<byte> BufferedSpan => Buffer.AsSpan(_start, _end - _start);

    public void Advance(int count)
    {
        if ((uint)count > (uint)Buffered)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        _start += count;
    }

    /// <summary>Notes that a consumer needed input the source does not have.</summary>
    public void MarkReadPastEnd() => ReadPastEnd = true;

    /// <summary>Reads more from the source into the buffer. False at end of source.</summary>
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (EndOfSource)
        {
            return false;
        }
        CompactForFill();
        var buffer = Buffer;
        int n = await ReceiveAsync(buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }

    /// <summary>Reads until at least <paramref name="minimum"/> bytes are buffered or the source ended, so that a
    /// synchronous decoder that runs next rarely has to block on the network.</summary>
    public async ValueTask PrefetchAsync(int minimum, CancellationToken cancellationToken)
    {
        minimum = Math.Min(minimum, Buffer.Length);
        while (Buffered < minimum && await FillAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    /// <summary>Synchronous <see cref="FillAsync"/> for decoders that only read synchronously.</summary>
    public bool Fill()
    {
        if (EndOfSource)
        {
            return false;
        }
        CompactForFill();
        int n = Receive(Buffer.AsSpan(_end));
        _end += n;
        return n > 0;
    }

    /// <summary>
    /// Reads the source to its end after the compressed data ended, so the spool copy and FileSize/FileHash see
    /// every byte, and returns how many bytes were left over (trailing garbage when non-zero).
    /// </summary>
    public async ValueTask<long> DrainAsync(CancellationToken cancellationToken)
    {
        long leftover = Buffered;
        _start = _end = 0;
        while (!EndOfSource)
        {
            leftover += await ReceiveAsync(Buffer, cancellationToken).ConfigureAwait(false);
        }
        return leftover;
    }

    /// <summary>SHA-256 of every byte received; call once, after <see cref="DrainAsync"/>.</summary>
    public byte[]? GetFileHash() => _fileHash?.GetHashAndReset();

    /// <summary>Returns the pooled buffer. Not <see cref="Dispose(bool)"/>: decoders dispose their input stream
    /// when they are disposed, and the tap must outlive them.</summary>
    public void Release()
    {
        _fileHash?.Dispose();
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }
        if (Buffered == 0)
        {
            if (destination.Length >= DirectReadThreshold)
            {
                return CountEnd(Receive(destination));
            }
            if (!Fill())
            {
                return CountEnd(0);
            }
        }
        return TakeBuffered(destination);
    }

    public override int ReadByte()
    {
        if (Buffered == 0 && !Fill())
        {
            ReadPastEnd = true;
            return -1;
        }
        return Buffer[_start++];
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty)
        {
            return ValueTask.FromResult(0);
        }
        if (Buffered > 0)
        {
            return ValueTask.FromResult(TakeBuffered(destination.Span));
        }
        return ReadSlowAsync(destination, cancellationToken);
    }

    private async ValueTask<int> ReadSlowAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.Length >= DirectReadThreshold)
        {
            return CountEnd(await ReceiveAsync(destination, cancellationToken).ConfigureAwait(false));
        }
        if (!await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            return CountEnd(0);
        }
        return TakeBuffered(destination.Span);
    }

    private int CountEnd(int n)
    {
        if (n == 0)
        {
            ReadPastEnd = true;
        }
        return n;
    }

    private int TakeBuffered(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Buffered);
        Buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(SourceTap));

    private void CompactForFill()
    {
        // A read into zero free bytes would return 0 and look like the end of the body.
        if (Buffered == Buffer.Length)
        {
            throw new InvalidOperationException("The tap buffer is full; the decoder must consume before asking for more.");
        }
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            Buffer.AsSpan(_start, _end - _start).CopyTo(Buffer);
            _end -= _start;
            _start = 0;
        }
    }

    // The only two places that touch the source: everything received is teed here, before anyone decodes it.
    private async ValueTask<int> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (EndOfSource)
        {
            return 0;
        }
        int n;
        try
        {
            n = await _source.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SourceError ??= ex;
            throw;
        }
        if (n == 0)
        {
            EndOfSource = true;
            return 0;
        }
        var received = destination[..n];
        BytesReceived += n;
        _fileHash?.AppendData(received.Span);
        if (_copyTo is not null)
        {
            try
            {
                await _copyTo.WriteAsync(received, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                SpoolError ??= ex;
                throw;
            }
        }
        return n;
    }

    private int Receive(Span<byte> destination)
    {
        if (EndOfSource)
        {
            return 0;
        }
        int n;
        try
        {
            n = _source.Read(destination);
        }
        catch (Exception ex)
        {
            SourceError ??= ex;
            throw;
        }
        if (n == 0)
        {
            EndOfSource = true;
            return 0;
        }
        var received = destination[..n];
        BytesReceived += n;
        _fileHash?.AppendData(received);
        if (_copyTo is not null)
        {
            try
            {
                _copyTo.Write(received);
            }
            catch (Exception ex)
            {
                SpoolError ??= ex;
                throw;
            }
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    /// <summary>Compressed bytes consumed by the decoder (received minus still buffered).</summary>
    public override long Position
    {
        get => BytesReceived - Buffered;
        set => throw new NotSupportedException();
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        // Deliberately nothing: see Release().
    }
}
