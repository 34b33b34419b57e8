using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;

namespace AtticEmulator;

/// <summary>Low-level ways of sending (and failing to send) a body.</summary>
internal static class BodyWriter
{
    /// <summary>Kestrel's Abort drops output that is still queued for the socket, so a fault
    /// that must put headers or bytes on the wire before the cut waits this long after
    /// flushing. Without it "200 then nothing" sometimes reaches the client as a bare reset.</summary>
    private static readonly TimeSpan DrainBeforeAbort = TimeSpan.FromMilliseconds(100);

    /// <summary>Sends <paramref name="body"/> chunk by chunk (chunk lengths from
    /// <paramref name="chunkLengths"/>, cycled if the body is longer), flushing after each, and
    /// stops after <paramref name="limit"/> bytes.</summary>
    public static async Task WriteChunksAsync(HttpResponse response, byte[] body, IReadOnlyList<int> chunkLengths, long limit, CancellationToken ct)
    {
        var offset = 0;
        var index = 0;
        var end = (int)Math.Min(limit, body.Length);
        while (offset < end)
        {
            var length = chunkLengths.Count == 0 ? end : Math.Max(1, chunkLengths[index++ % chunkLengths.Count]);
            length = Math.Min(length, end - offset);
            await response.Body.WriteAsync(body.AsMemory(offset, length), ct);
            await response.Body.FlushAsync(ct);
            offset += length;
        }
    }

    /// <summary>Commits the status and headers (chunked, unless a Content-Length is set).</summary>
    public static async Task StartAsync(HttpResponse response, CancellationToken ct)
    {
        await response.StartAsync(ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>Ends the connection without a clean end of body (for chunked framing no
    /// terminating chunk, for Content-Length fewer bytes than announced) the way a server
    /// whose storage read failed does: a FIN after the bytes sent so far, which curl reports
    /// as exit 18 "transfer closed with outstanding read data remaining", the incident.
    /// Kestrel's Abort alone sends a RST (curl 56), a different failure.</summary>
    public static async Task AbortAsync(HttpContext http)
    {
        try
        {
            await Task.Delay(DrainBeforeAbort, http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client left first; closing is still right.
        }

        try
        {
            http.Features.Get<IConnectionSocketFeature>()?.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: the Abort below is all that is left to do.
        }

        http.Abort();
    }
}
