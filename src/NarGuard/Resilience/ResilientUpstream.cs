using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Verification;
using NarGuard.Telemetry;
using NarGuard.Upstream;
using Polly;
using Polly.Retry;

namespace NarGuard.Resilience;

/// <summary>
/// The guards' view of the upstream: <see cref="UpstreamClient"/> behind the circuit, with bounded retries for
/// narinfos. Failures stay values (<see cref="NarInfoFetch"/>, <see cref="NarDownload"/>), as the guards expect.
/// </summary>
/// <remarks>
/// The circuit wraps the whole retried fetch, so one narinfo request is one sample: a single path whose narinfo
/// answers 500 costs three attempts but one failure, and cannot open the circuit on its own. NAR bodies are not
/// retried here: a NAR that fails is quarantined and the client falls back (see CacheGuard).
/// </remarks>
public sealed class ResilientUpstream
{
    private readonly UpstreamClient _client;
    private readonly UpstreamCircuit _circuit;
    private readonly TimeProvider _time;
    private readonly ILogger<ResilientUpstream> _logger;
    private readonly TimeSpan _narInfoTimeout;
    private readonly TimeSpan _attemptTimeout;
    private readonly ResiliencePipeline<NarInfoFetch> _narInfoRetry;

    public ResilientUpstream(UpstreamClient client, UpstreamCircuit circuit, NarGuardOptions options, TimeProvider time, ILogger<ResilientUpstream> logger)
    {
        _client = client;
        _circuit = circuit;
        _time = time;
        _logger = logger;
        _narInfoTimeout = options.Timeouts.NarInfo;
        _attemptTimeout = options.Resilience.NarInfoAttemptTimeout < _narInfoTimeout ? options.Resilience.NarInfoAttemptTimeout : _narInfoTimeout;
        var retries = options.Resilience.NarInfoRetries;
        _narInfoRetry = retries == 0
            ? ResiliencePipeline<NarInfoFetch>.Empty
            : new ResiliencePipelineBuilder<NarInfoFetch> { TimeProvider = time, Name = "narguard-narinfo" }
                .AddRetry(new RetryStrategyOptions<NarInfoFetch>
                {
                    MaxRetryAttempts = retries,
                    Delay = options.Resilience.NarInfoRetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    // A herd of builders retrying in step would hit a recovering upstream all at once.
                    UseJitter = true,
                    ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Result is { Info: null } fetch && UpstreamFailures.IsTransient(fetch.Reason, fetch.Status)),
                    OnRetry = args =>
                    {
                        if (args.Outcome.Result is { } fetch && args.Context.Properties.TryGetValue(StoreHashKey, out var storeHash))
                        {
                            Log.NarInfoRetry(_logger, args.AttemptNumber + 1, storeHash, args.RetryDelay.TotalMilliseconds, fetch.Reason?.Label() ?? "unknown", fetch.Status);
                        }
                        return ValueTask.CompletedTask;
                    },
                })
                .Build();
    }

    private static readonly ResiliencePropertyKey<string> StoreHashKey = new("narguard.store_hash");

    public UpstreamEndpoint Endpoint => _client.Endpoint;

    public UpstreamCircuit Circuit => _circuit;

    /// <summary>
    /// Fetches a narinfo: each attempt bounded by Resilience:NarInfoAttemptTimeout, transient failures retried with
    /// jittered backoff, everything within Timeouts:NarInfo. While the circuit is open: <see cref="RejectReason.CircuitOpen"/> at once.
    /// </summary>
    public Task<NarInfoFetch> FetchNarInfoAsync(string storeHash, string? clientAuthorization, CancellationToken cancellationToken) =>
        _circuit.ExecuteAsync(
            token => FetchWithRetriesAsync(storeHash, clientAuthorization, token),
            static () => new NarInfoFetch(null, RejectReason.CircuitOpen, null, "upstream circuit open: not asked"),
            cancellationToken);

    /// <summary>Opens a NAR body through the circuit (response headers only; the body is the verifier's business).</summary>
    public Task<NarDownload> OpenNarAsync(Uri uri, string? clientAuthorization, CancellationToken cancellationToken) =>
        _circuit.ExecuteAsync(
            token => _client.OpenNarAsync(uri, clientAuthorization, token),
            static () => NarDownload.Failed(RejectReason.CircuitOpen, null, "upstream circuit open: not asked", 0),
            cancellationToken);

    private async Task<NarInfoFetch> FetchWithRetriesAsync(string storeHash, string? clientAuthorization, CancellationToken cancellationToken)
    {
        using var overall = new CancellationTokenSource(_narInfoTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overall.Token);
        NarInfoFetch? last = null;
        var context = ResilienceContextPool.Shared.Get(linked.Token);
        context.Properties.Set(StoreHashKey, storeHash);
        try
        {
            return await _narInfoRetry.ExecuteAsync(
                async ctx =>
                {
                    last = await AttemptAsync(storeHash, clientAuthorization, ctx.CancellationToken).ConfigureAwait(false);
                    return last;
                },
                context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (overall.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The deadline fell during an attempt or a retry delay: report what the upstream last said, if anything.
            return last ?? new NarInfoFetch(null, RejectReason.Timeout, null, $"no narinfo within {_narInfoTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<NarInfoFetch> AttemptAsync(string storeHash, string? clientAuthorization, CancellationToken cancellationToken)
    {
        using var attempt = new CancellationTokenSource(_attemptTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
        try
        {
            return await _client.FetchNarInfoAsync(storeHash, clientAuthorization, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new NarInfoFetch(null, RejectReason.Timeout, null, $"no narinfo within {_attemptTimeout.TotalSeconds:0.#} s (one attempt)");
        }
    }
}
