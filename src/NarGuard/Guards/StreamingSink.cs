using System.Buffers;
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
/// </remarks>
public sealed class StreamingSink : IDisposable
{
    private readonly HttpContext _context;
    private readonly long? _contentLength;
    private readonly byte[] _held;
    private int _heldCount;
    private bool _clientGone;

    public StreamingSink(HttpContext context, long? contentLength, int holdBack)
    {
        _context = context;
        _contentLength = contentLength;
        _held = ArrayPool<byte>.Shared.Rent(holdBack);
        HoldBack = holdBack;
    }

    public int HoldBack { get; }

    /// <summary>True once the 200 and the first bytes went out: from then on a failure can only abort the connection.</summary>
    public bool Started { get; private set; }

    /// <summary>Bytes sent to the client so far.</summary>
    public long Sent { get; private set; }

    /// <summary>Sets the length announced with the first byte (the narinfo's FileSize when it has one).</summary>
    public long? ContentLength => _contentLength;

    /// <summary>Takes the next compressed bytes; sends what is older than the hold-back window.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var total = _heldCount + data.Length;
        if (total <= HoldBack)
        {
            data.Span.CopyTo(_held.AsSpan(_heldCount));
            _heldCount = total;
            return;
        }
        var release = total - HoldBack;
        var fromHeld = Math.Min(release, _heldCount);
        var fromData = release - fromHeld;
        await SendAsync(_held.AsMemory(0, fromHeld), cancellationToken).ConfigureAwait(false);
        await SendAsync(data[..fromData], cancellationToken).ConfigureAwait(false);
        // What stays held: the rest of the old window, then the rest of the new data.
        var keptOld = _heldCount - fromHeld;
        _held.AsSpan(fromHeld, keptOld).CopyTo(_held);
        data.Span[fromData..].CopyTo(_held.AsSpan(keptOld));
        _heldCount = keptOld + (data.Length - fromData);
    }

    /// <summary>Verification passed: release the held bytes. The response then ends normally.</summary>
    public async Task CompleteAsync()
    {
        await SendAsync(_held.AsMemory(0, _heldCount), CancellationToken.None).ConfigureAwait(false);
        _heldCount = 0;
        if (!_clientGone && Started)
        {
            await _context.Response.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (bytes.IsEmpty || _clientGone)
        {
            return;
        }
        if (_context.RequestAborted.IsCancellationRequested)
        {
            _clientGone = true;
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
            await _context.Response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            Sent += bytes.Length;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away; the spool and the other waiters still want the rest.
            _clientGone = true;
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
        _heldCount = 0;
        return true;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_held);
}
