using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace NarGuard.Guards;

/// <summary>
/// The client side of a streamed NAR: bytes go to the response as they are read from the upstream, except the last
/// <c>holdBack</c> bytes, which are released only by <see cref="CompleteAsync"/> once the NAR verified. The headers
/// (200, Accept-Ranges) go out with the first byte. A client that hangs up is noted and ignored: the fetch goes on
/// for the spool and for requests that share it.
/// </summary>
/// <remarks>
/// Holding bytes back is what makes streaming safe: until verification passes, the client never holds a complete
/// body, and a failure aborts the connection, which Nix treats as a transient error and retries (with Range,
/// since the response said Accept-Ranges) — and the retry meets the quarantine's 404, a clean fallback.
/// <para>
/// Two choices here come from profiles (docs/BENCHMARKS.md). The held window is a ring: the first version shifted
/// it with a memmove on every write (9 % of the streamed profile, since upstream reads are smaller than the window).
/// Bytes are written into the response's PipeWriter and flushed once at least <see cref="FlushThreshold"/> bytes
/// are pending: <c>Response.Body.WriteAsync</c> flushes every call, which turned each upstream read into one
/// socket send and made the client spend 3× the CPU on small segments.
/// </para>
/// </remarks>
public sealed class StreamingSink : IDisposable
{
    /// <summary>Unflushed bytes that trigger a flush to the socket.</summary>
    internal const int FlushThreshold = 128 * 1024;

    private readonly HttpContext _context;
    private readonly long? _contentLength;
    private readonly byte[] _ring;
    // The held bytes are _ring[_head .. _head + _heldCount), wrapping around at HoldBack.
    private int _head;
    private int _heldCount;
    private int _unflushed;
    private bool _clientGone;
    private bool _returned;

    public StreamingSink(HttpContext context, long? contentLength, int holdBack)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(holdBack, 1);
        _context = context;
        _contentLength = contentLength;
        _ring = ArrayPool<byte>.Shared.Rent(holdBack);
        HoldBack = holdBack;
    }

    public int HoldBack { get; }

    /// <summary>True once the 200 and the first bytes went out: from then on a failure can only abort the connection.</summary>
    public bool Started { get; private set; }

    /// <summary>True once <see cref="CompleteAsync"/> released every byte: the client holds a verified body.</summary>
    public bool Completed { get; private set; }

    /// <summary>Bytes sent to the client so far.</summary>
    public long Sent { get; private set; }

    /// <summary>Sets the length announced with the first byte (the narinfo's FileSize when it has one).</summary>
    public long? ContentLength => _contentLength;

    /// <summary>Takes the next compressed bytes; sends what is older than the hold-back window.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var release = _heldCount + data.Length - HoldBack;
        if (release > 0)
        {
            // Oldest first: what the ring holds, then the front of the new data.
            var fromRing = Math.Min(release, _heldCount);
            SendFromRing(fromRing);
            var fromData = release - fromRing;
            Send(data.Span[..fromData]);
            data = data[fromData..];
        }
        Hold(data.Span);
        if (_unflushed >= FlushThreshold)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Verification passed: release the held bytes and end the response normally. Idempotent: the guard completes
    /// the stream as soon as the NAR verified, before the spool commit, and the endpoint calls it again.
    /// </summary>
    /// <param name="cancellationToken">Bounds the wait for a client that stops reading (the fetch's deadline).</param>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (Completed)
        {
            return;
        }
        Completed = true;
        SendFromRing(_heldCount);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!_clientGone && Started)
        {
            try
            {
                await _context.Response.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsClientError(ex))
            {
                GiveUp();
            }
        }
    }

    private void Hold(ReadOnlySpan<byte> data)
    {
        // Called with at most HoldBack - _heldCount bytes (WriteAsync released the rest first).
        var tail = (_head + _heldCount) % HoldBack;
        var first = Math.Min(data.Length, HoldBack - tail);
        data[..first].CopyTo(_ring.AsSpan(tail));
        data[first..].CopyTo(_ring);
        _heldCount += data.Length;
    }

    private void SendFromRing(int count)
    {
        if (count == 0)
        {
            return;
        }
        var first = Math.Min(count, HoldBack - _head);
        Send(_ring.AsSpan(_head, first));
        Send(_ring.AsSpan(0, count - first));
        _head = (_head + count) % HoldBack;
        _heldCount -= count;
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || _clientGone)
        {
            return;
        }
        if (_context.RequestAborted.IsCancellationRequested)
        {
            GiveUp();
            return;
        }
        try
        {
            if (!Started)
            {
                var response = _context.Response;
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/x-nix-nar";
                response.Headers.AcceptRanges = "bytes";
                response.Headers[GuardEndpoints.SourceHeader] = "upstream-streamed";
                if (Upstream is { } upstream)
                {
                    response.Headers[GuardEndpoints.UpstreamHeader] = upstream;
                }
                response.ContentLength = _contentLength;
                Started = true;
            }
            // Copies into the response pipe's own buffers; the socket send happens at the next flush.
            _context.Response.BodyWriter.Write(bytes);
            _unflushed += bytes.Length;
            Sent += bytes.Length;
        }
        catch (Exception ex) when (IsClientError(ex))
        {
            // The client went away; the spool and the other waiters still want the rest.
            GiveUp();
        }
    }

    /// <summary>The upstream whose bytes flow now; sent as X-NarGuard-Upstream with the first byte.</summary>
    public string? Upstream { get; set; }

    /// <summary>
    /// Forgets the bytes held so far, so another upstream's copy can be streamed instead (NAR failover). Only possible
    /// while nothing went out: false once <see cref="Started"/>, when a failure can only abort the connection.
    /// </summary>
    public bool TryReset()
    {
        if (Started)
        {
            return false;
        }
        _head = 0;
        _heldCount = 0;
        return true;
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_unflushed == 0 || _clientGone)
        {
            return;
        }
        _unflushed = 0;
        try
        {
            FlushResult result = await _context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled || result.IsCompleted)
            {
                GiveUp();
            }
        }
        catch (Exception ex) when (IsClientError(ex))
        {
            // Also a client that stopped reading until the fetch's deadline: it is cut off, not waited for.
            GiveUp();
        }
    }

    // Bytes were dropped: the connection must end without a clean end, or a chunked response would look complete
    // to a client that is still there (a slow reader whose flush ran into the deadline). Aborting a connection
    // that is already gone is harmless.
    private void GiveUp()
    {
        _clientGone = true;
        _context.Abort();
    }

    private static bool IsClientError(Exception ex) =>
        ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException;

    public void Dispose()
    {
        if (!_returned)
        {
            _returned = true;
            ArrayPool<byte>.Shared.Return(_ring);
        }
    }
}
