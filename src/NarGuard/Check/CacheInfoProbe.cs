using System.Net;
using System.Text;
using NarGuard.Upstream;

namespace NarGuard.Check;

/// <summary>
/// Fetches <c>nix-cache-info</c> first, the way Nix does before it trusts a substituter. If that fails there is
/// nothing to audit (wrong URL, wrong cache name, upstream down, token refused), and the check stops with exit 2
/// instead of reporting every path as broken.
/// </summary>
public static class CacheInfoProbe
{
    private const int MaxBytes = 64 * 1024;

    /// <param name="Reachable">The upstream answered 200 with a body.</param>
    /// <param name="StoreDir">The StoreDir line, default /nix/store.</param>
    /// <param name="Detail">Why not, when not reachable: a status or an error kind, never a URL query or token.</param>
    public sealed record Result(bool Reachable, int? Status, string StoreDir, string? Detail);

    public const string DefaultStoreDir = "/nix/store";

    public static async Task<Result> FetchAsync(HttpClient http, UpstreamEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.CacheUri, "nix-cache-info")) { Version = HttpVersion.Version11 };
            if (endpoint.DefaultAuthorization is { } authorization)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            if (endpoint.HostHeader is { } host)
            {
                request.Headers.Host = host;
            }
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status != 200)
            {
                var hint = status switch
                {
                    401 or 403 => " (is the token right?)",
                    404 => " (is the cache name in the URL right?)",
                    _ => "",
                };
                return new Result(false, status, DefaultStoreDir, $"answered {status}{hint}");
            }
            var text = await ReadBoundedAsync(response.Content, deadline.Token).ConfigureAwait(false);
            return new Result(true, status, StoreDirOf(text), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Result(false, null, DefaultStoreDir, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            // The message can carry the URL; the error kind is enough to act on.
            return new Result(false, null, DefaultStoreDir, ex.HttpRequestError == HttpRequestError.Unknown ? ex.GetType().Name : "connection: " + ex.HttpRequestError);
        }
        catch (IOException ex)
        {
            return new Result(false, null, DefaultStoreDir, ex.GetType().Name);
        }
    }

    private static string StoreDirOf(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("StoreDir:", StringComparison.Ordinal) && line["StoreDir:".Length..].Trim() is { Length: > 0 } dir && dir.StartsWith('/'))
            {
                return dir.TrimEnd('/');
            }
        }
        return DefaultStoreDir;
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
