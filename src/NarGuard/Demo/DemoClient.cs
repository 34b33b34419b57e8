using System.Text;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using NarGuard.Guards;

namespace NarGuard.Demo;

/// <summary>
/// Asks for a store path the way Nix does (narinfo, then the NAR URL it names, following redirects) and judges the
/// answers the way Nix would: a NAR body counts only if it matches the NarHash and NarSize of the narinfo the client
/// got, which is the check Nix makes after unpacking the whole NAR.
/// </summary>
public sealed class DemoClient : IDisposable
{
    // Demo NARs are a few hundred KB; a cap keeps a misbehaving upstream from filling memory.
    private const int MaxBody = 64 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly TimeSpan _stall;

    /// <param name="stallTimeout">No byte for this long counts as a stall: Nix's stalled-download-timeout, shortened.</param>
    public DemoClient(TimeSpan stallTimeout)
    {
        _stall = stallTimeout;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = true, // Nix follows redirects wherever they point
            MaxAutomaticRedirections = 5,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<RouteResult> FetchAsync(string cacheUrl, string storeHash, CancellationToken cancellationToken)
    {
        var (narInfoAnswer, narInfoBody) = await GetAsync(new Uri($"{cacheUrl}/{storeHash}.narinfo"), cancellationToken);
        NarInfo? info = null;
        var parses = narInfoAnswer is { Completed: true, Status: 200 } && narInfoBody is not null
            && NarInfo.TryParse(Encoding.UTF8.GetString(narInfoBody), out info, out _);
        if (!parses || info is null)
        {
            // An absent narinfo is "not in this cache"; anything else aborts the whole Nix command (Nix <= 2.31).
            var outcome = narInfoAnswer.Completed && IsAbsent(narInfoAnswer.Status) ? NixOutcome.BuildsLocally : NixOutcome.Fails;
            return new RouteResult(narInfoAnswer, parses, null, null, outcome);
        }

        var narUrl = new Uri(new Uri(cacheUrl.TrimEnd('/') + "/"), info.Url);
        var (narAnswer, narBody) = await GetAsync(narUrl, cancellationToken);
        bool? verifies = null;
        if (narAnswer is { Completed: true, Status: 200 } && narBody is not null)
        {
            using var body = new MemoryStream(narBody, writable: false);
            var result = await NarVerifier.VerifyAsync(body, NarExpectation.From(info), copyTo: null, cancellationToken);
            verifies = result.IsValid;
        }
        var narOutcome = narAnswer switch
        {
            { Completed: true, Status: 200 } when verifies == true => NixOutcome.Substitutes,
            { Completed: true } when IsAbsent(narAnswer.Status) => NixOutcome.BuildsLocally,
            _ => NixOutcome.Fails,
        };
        return new RouteResult(narInfoAnswer, parses, narAnswer, verifies, narOutcome);
    }

    // 401 counts as absent up to Nix 2.34 (CONTEXT.md §2); the demo speaks for the Nix most builders run.
    private static bool IsAbsent(int? status) => status is 404 or 403 or 410 or 401;

    private async Task<(Answer Answer, byte[]? Body)> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_stall);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (new Answer(null, 0, "stalled", null), null);
        }
        catch (HttpRequestException)
        {
            return (new Answer(null, 0, "reset", null), null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var reason = response.Headers.TryGetValues(GuardEndpoints.ReasonHeader, out var values) ? values.FirstOrDefault() : null;
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
                while (true)
                {
                    // Restarted before every read: a stall is "no byte for N seconds", as Nix counts it.
                    deadline.CancelAfter(_stall);
                    var read = await stream.ReadAsync(chunk, deadline.Token);
                    if (read == 0)
                    {
                        break;
                    }
                    if (buffer.Length + read > MaxBody)
                    {
                        return (new Answer(status, buffer.Length, "too large", reason), null);
                    }
                    buffer.Write(chunk, 0, read);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (new Answer(status, buffer.Length, "stalled", reason), null);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                // The body ended before its framing said it would: curl's exit 18, "transferred a partial file".
                return (new Answer(status, buffer.Length, "cut off", reason), null);
            }
            return (new Answer(status, buffer.Length, null, reason), buffer.ToArray());
        }
    }

    public void Dispose() => _http.Dispose();
}
