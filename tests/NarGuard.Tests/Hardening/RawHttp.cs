using System.Net.Sockets;
using System.Text;

namespace NarGuard.Tests.Hardening;

/// <summary>
/// Sends bytes exactly as written over a loopback TCP socket: HttpClient would normalise the very requests these
/// tests need (absolute-form targets, "..", backslashes, CONNECT, duplicate Host, oversized lines).
/// </summary>
public static class RawHttp
{
    public sealed record RawResponse(int Status, string Head, string Body);

    public static async Task<RawResponse> SendAsync(Uri server, byte[] request)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read an oversized request: the answer is still readable.
        }
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        // Bounded: the server closes after one answer (every request says Connection: close, or is refused).
        while (received.Length < 1024 * 1024)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }
            if (n == 0)
            {
                break;
            }
            received.Write(buffer, 0, n);
        }
        var text = Encoding.Latin1.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var statusLine = head.Split("\r\n")[0].Split(' ');
        var status = statusLine.Length > 1 && int.TryParse(statusLine[1], out var s) ? s : 0;
        return new RawResponse(status, head, split < 0 ? "" : text[(split + 4)..]);
    }

    public static Task<RawResponse> SendAsync(Uri server, string request) => SendAsync(server, Encoding.Latin1.GetBytes(request));
}
