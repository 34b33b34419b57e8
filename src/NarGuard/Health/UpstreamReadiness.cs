using System.Net;
using System.Text;
using NarGuard.Configuration;
using NarGuard.Resilience;
using NarGuard.Upstream;

namespace NarGuard.Health;

/// <summary>
/// Readiness of the upstream: does it answer GET &lt;cache&gt;/nix-cache-info? The request goes through the upstream
/// circuit: while the circuit is open the check fails without asking, and after the break it is as good a probe of
/// recovery as a client request. Results are reused for Health:CheckCacheTtl.
/// </summary>
public sealed class UpstreamReadiness : IDisposable
{
    private const int MaxBody = 64 * 1024;

    private readonly HttpClient _http;
    private readonly UpstreamEndpoint _endpoint;
    private readonly UpstreamCircuit _circuit;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly CachedCheck _check;

    public UpstreamReadiness(UpstreamEndpoint endpoint, UpstreamCircuit circuit, NarGuardOptions options, TimeProvider time)
    {
        // Its own small pool: a readiness probe must not queue behind NAR downloads.
        _http = new HttpClient(UpstreamClient.CreateHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
        _endpoint = endpoint;
        _circuit = circuit;
        _time = time;
        _timeout = options.Health.UpstreamTimeout;
        _check = new CachedCheck(EvaluateAsync, options.Health.CheckCacheTtl, time);
    }

    public Task<CheckResult> CheckAsync() => _check.GetAsync();

    private async Task<CheckResult> EvaluateAsync()
    {
        var probe = await _circuit.ExecuteAsync(
            ProbeAsync,
            static () => new UpstreamProbeResult(false, false, null, "upstream circuit open: not asked"),
            CancellationToken.None).ConfigureAwait(false);
        return new CheckResult(probe.Ok, probe.Detail, _time.GetUtcNow(), probe.Ok ? null : "nix_cache_info");
    }

    private async Task<UpstreamProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_endpoint.CacheUri, "nix-cache-info")) { Version = HttpVersion.Version11 };
        if (_endpoint.DefaultAuthorization is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (_endpoint.HostHeader is { } host)
        {
            request.Headers.Host = host;
        }
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            switch (status)
            {
                case 200:
                    var body = await ReadPrefixAsync(response.Content, linked.Token).ConfigureAwait(false);
                    return body.Contains("StoreDir:", StringComparison.Ordinal)
                        ? new UpstreamProbeResult(true, false, status, "nix-cache-info answered 200")
                        : new UpstreamProbeResult(false, false, status, "nix-cache-info answered 200 without a StoreDir line");
                case 401 or 403 when _endpoint.DefaultAuthorization is null:
                    // A private cache whose clients bring their own token: it answers, which is all readiness asks.
                    return new UpstreamProbeResult(true, false, status, $"nix-cache-info answered {status} (no UpstreamToken configured; clients authenticate themselves)");
                default:
                    var transient = status is >= 500 and < 600 and not 501;
                    return new UpstreamProbeResult(false, transient, status, $"nix-cache-info answered {status}");
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new UpstreamProbeResult(false, true, null, $"nix-cache-info: no answer within {_timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            // Only the error kind: the exception message can carry the URL.
            return new UpstreamProbeResult(false, true, null, "nix-cache-info: connection " + ex.HttpRequestError);
        }
        catch (IOException ex)
        {
            return new UpstreamProbeResult(false, true, null, "nix-cache-info: " + ex.GetType().Name);
        }
    }

    private static async Task<string> ReadPrefixAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxBody];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    public void Dispose() => _http.Dispose();
}
