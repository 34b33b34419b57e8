using System.Net;
using System.Net.Http.Headers;
using System.Text;
using NarGuard.Configuration;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;

namespace NarGuard.Upstream;

/// <summary>
/// Fetches narinfos and opens NAR bodies from the upstream. Expected failures (statuses, timeouts, resets,
/// garbage, denied redirects) are returned as values, never thrown: each ends as a 404 for the client.
/// </summary>
public sealed class UpstreamClient
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly HttpClient _http;
    private readonly UpstreamEndpoint _endpoint;
    private readonly TimeoutOptions _timeouts;

    private readonly Telemetry.NarGuardTelemetry? _telemetry;

    public UpstreamClient(HttpClient http, UpstreamEndpoint endpoint, NarGuardOptions options, Telemetry.NarGuardTelemetry? telemetry = null)
    {
        _telemetry = telemetry;
        _http = http;
        _endpoint = endpoint;
        _timeouts = options.Timeouts;
    }

    public UpstreamEndpoint Endpoint => _endpoint;

    /// <summary>Creates the handler shared by all upstream calls: no automatic redirects (NarGuard follows them itself, on an allow-list), no decompression (the body must stay byte-exact), no cookies, no system proxy.</summary>
    public static SocketsHttpHandler CreateHandler(NarGuardOptions options) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = options.Timeouts.Connect,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        MaxResponseHeadersLength = 64,
    };

    public async Task<NarInfoFetch> FetchNarInfoAsync(string storeHash, string? clientAuthorization, CancellationToken cancellationToken)
    {
        var uri = new Uri(_endpoint.CacheUri, storeHash + ".narinfo");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeouts.NarInfo);
        try
        {
            using var request = CreateRequest(uri, clientAuthorization);
            using var response = await SendAsync(request, "narinfo", timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status != 200)
            {
                return new NarInfoFetch(null, RejectReason.UpstreamStatus, status, $"narinfo answered {status}");
            }
            var text = await ReadBoundedTextAsync(response.Content, NarInfo.MaxTextBytes, timeout.Token).ConfigureAwait(false);
            if (text is null)
            {
                return new NarInfoFetch(null, RejectReason.NarInfoInvalid, status, "narinfo is larger than 1 MiB or not UTF-8");
            }
            if (!NarInfo.TryParse(text, out var info, out var error))
            {
                return new NarInfoFetch(null, RejectReason.NarInfoInvalid, status, "unparsable narinfo: " + error);
            }
            if (!string.Equals(info!.StoreHash, storeHash, StringComparison.Ordinal))
            {
                return new NarInfoFetch(null, RejectReason.NarInfoInvalid, status, "narinfo describes another store path");
            }
            return NarInfoFetch.Ok(info);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new NarInfoFetch(null, RejectReason.Timeout, null, $"no narinfo within {_timeouts.NarInfo.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return new NarInfoFetch(null, RejectReason.UpstreamError, null, Describe(ex));
        }
        catch (IOException ex)
        {
            return new NarInfoFetch(null, RejectReason.UpstreamError, null, ex.GetType().Name);
        }
    }

    /// <summary>
    /// Sends GET for a NAR and follows redirects itself: only to http(s) hosts on the allow-list, at most
    /// <see cref="UpstreamEndpoint.MaxRedirects"/> hops, and credentials only to the upstream itself (a presigned
    /// storage URL carries its own). The returned response has status 200; anything else is a failure value.
    /// </summary>
    public async Task<NarDownload> OpenNarAsync(Uri uri, string? clientAuthorization, CancellationToken cancellationToken)
    {
        var redirects = 0;
        if (!_endpoint.IsAllowedTarget(uri))
        {
            // The narinfo's own URL, before any redirect: it is upstream data too, and gets the same allow-list.
            return NarDownload.Failed(RejectReason.RedirectDenied, null, $"NAR URL on host '{uri.Host}' is not the upstream or on the allow-list", redirects);
        }
        // Bounded: every pass either returns or counts a redirect, and more than MaxRedirects returns.
        while (true)
        {
            HttpResponseMessage response;
            using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            headersTimeout.CancelAfter(_timeouts.NarHeaders);
            try
            {
                using var request = CreateRequest(uri, clientAuthorization);
                response = await SendAsync(request, redirects == 0 ? "nar" : "nar_redirect", headersTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return NarDownload.Failed(RejectReason.Timeout, null, $"no response headers within {_timeouts.NarHeaders.TotalSeconds:0.#} s", redirects);
            }
            catch (HttpRequestException ex)
            {
                return NarDownload.Failed(RejectReason.UpstreamError, null, Describe(ex), redirects);
            }
            catch (IOException ex)
            {
                return NarDownload.Failed(RejectReason.UpstreamError, null, ex.GetType().Name, redirects);
            }

            var status = (int)response.StatusCode;
            if (status == 200)
            {
                return NarDownload.Opened(response, redirects);
            }
            using (response)
            {
                if (status is not (301 or 302 or 303 or 307 or 308))
                {
                    return NarDownload.Failed(RejectReason.UpstreamStatus, status, $"NAR answered {status}" + (redirects > 0 ? " after a redirect" : ""), redirects);
                }
                var location = response.Headers.Location;
                if (location is null)
                {
                    return NarDownload.Failed(RejectReason.UpstreamStatus, status, $"{status} without Location", redirects);
                }
                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                {
                    return NarDownload.Failed(RejectReason.RedirectDenied, status, $"redirect to scheme '{next.Scheme}' refused", redirects);
                }
                if (!_endpoint.IsAllowedTarget(next))
                {
                    // The host is safe to name; the path and query (a presigned signature) are not logged.
                    return NarDownload.Failed(RejectReason.RedirectDenied, status, $"redirect to host '{next.Host}' is not on the allow-list", redirects);
                }
                if (++redirects > _endpoint.MaxRedirects)
                {
                    return NarDownload.Failed(RejectReason.RedirectDenied, status, $"more than {_endpoint.MaxRedirects} redirects", redirects);
                }
                uri = next;
            }
        }
    }

    // Every upstream round trip is timed to its response headers, labelled by status or by the error kind.
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            _telemetry?.UpstreamResponse(_endpoint.Name, operation, (int)response.StatusCode, null, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return response;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            var kind = ex switch
            {
                HttpRequestException http => "error_" + http.HttpRequestError.ToString().ToLowerInvariant(),
                OperationCanceledException => "timeout",
                _ => "error_io",
            };
            _telemetry?.UpstreamResponse(_endpoint.Name, operation, null, kind, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    private HttpRequestMessage CreateRequest(Uri uri, string? clientAuthorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher };
        if (_endpoint.IsUpstream(uri))
        {
            if (_endpoint.AuthorizationFor(clientAuthorization) is { } authorization)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            if (_endpoint.HostHeader is { } host)
            {
                request.Headers.Host = host;
            }
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        return request;
    }

    private static async Task<string?> ReadBoundedTextAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return null;
        }
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[Math.Min(maxBytes + 1, (int)(content.Headers.ContentLength ?? 16 * 1024) + 1)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > maxBytes)
                {
                    return null;
                }
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxBytes + 1));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            length += read;
        }
        if (length > maxBytes)
        {
            return null;
        }
        try
        {
            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    // The message of an HttpRequestException can carry the request URL; only the error kind is kept.
    private static string Describe(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.Unknown ? ex.GetType().Name : "connection: " + ex.HttpRequestError;
}
