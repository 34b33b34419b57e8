using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Verification;
using NarGuard.Telemetry;
using Polly;
using Polly.CircuitBreaker;

namespace NarGuard.Resilience;

/// <summary>
/// The one circuit breaker in front of the upstream, shared by narinfo fetches, NAR opens and the readiness probe.
/// While it is open, <see cref="ExecuteAsync{T}"/> answers with the caller's "circuit open" value at once, so a
/// dead upstream costs builders a fast 404 instead of a timeout per request. After
/// <see cref="CircuitOptions.BreakDuration"/> the next call probes (half-open): success closes the circuit,
/// failure opens it again. <see cref="State"/> and <see cref="StateChanged"/> feed the telemetry gauge.
/// </summary>
public sealed class UpstreamCircuit
{
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger<UpstreamCircuit> _logger;
    private readonly TimeProvider _time;
    private int _state = (int)UpstreamCircuitState.Closed;
    private long _changedAtTicks;

    public UpstreamCircuit(NarGuardOptions options, TimeProvider time, ILogger<UpstreamCircuit> logger)
    {
        _logger = logger;
        _time = time;
        Name = options.UpstreamName ?? UpstreamOptions.FirstDefaultName;
        _changedAtTicks = time.GetUtcNow().UtcTicks;
        var circuit = options.Resilience.Circuit;
        IsEnabled = circuit.Enabled;
        if (!circuit.Enabled)
        {
            _pipeline = ResiliencePipeline.Empty;
            return;
        }
        // Polly's own state machine, with NarGuard's time source so that tests move the break along without sleeping.
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time, Name = "narguard-upstream" }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = circuit.FailureRatio,
                MinimumThroughput = circuit.MinimumThroughput,
                SamplingDuration = circuit.SamplingDuration,
                BreakDuration = circuit.BreakDuration,
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception switch
                {
                    null => UpstreamFailures.IsFailure(args.Outcome.Result),
                    // A client that hung up says nothing about the upstream.
                    OperationCanceledException => false,
                    _ => true,
                }),
                OnOpened = args =>
                {
                    Transition(UpstreamCircuitState.Open);
                    Log.CircuitOpened(_logger, args.BreakDuration.TotalSeconds, Describe(args.Outcome), Name);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    Transition(UpstreamCircuitState.HalfOpen);
                    Log.CircuitHalfOpened(_logger, Name);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    Transition(UpstreamCircuitState.Closed);
                    Log.CircuitClosed(_logger, Name);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>The upstream this circuit guards (the narguard.upstream label of the state gauge).</summary>
    public string Name { get; }

    /// <summary>False when Resilience:Circuit:Enabled is false: the state then stays <see cref="UpstreamCircuitState.Closed"/>.</summary>
    public bool IsEnabled { get; }

    /// <summary>
    /// The current state. Polly moves from Open to HalfOpen lazily, on the first call after the break, so an idle
    /// proxy reports Open until something asks (a client or /readyz).
    /// </summary>
    public UpstreamCircuitState State => (UpstreamCircuitState)Volatile.Read(ref _state);

    /// <summary>When <see cref="State"/> last changed (the start of the process until the first transition).</summary>
    public DateTimeOffset ChangedAt => new(Interlocked.Read(ref _changedAtTicks), TimeSpan.Zero);

    /// <summary>Raised after every transition, on the thread of the call that caused it. Handlers must not block.</summary>
    public event Action<UpstreamCircuitState>? StateChanged;

    /// <summary>
    /// Runs <paramref name="action"/> through the circuit. Its result is the sample: failures are recognised by
    /// <see cref="UpstreamFailures.IsFailure"/>. When the circuit refuses the call, <paramref name="whenOpen"/>
    /// builds the answer instead and the upstream is not asked.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> action, Func<T> whenOpen, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(static async (a, token) => await a(token).ConfigureAwait(false), action, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            return whenOpen();
        }
    }

    private void Transition(UpstreamCircuitState state)
    {
        Volatile.Write(ref _state, (int)state);
        Interlocked.Exchange(ref _changedAtTicks, _time.GetUtcNow().UtcTicks);
        StateChanged?.Invoke(state);
    }

    private static string Describe(Outcome<object> outcome) => outcome switch
    {
        { Exception: { } ex } => ex.GetType().Name,
        { Result: Upstream.NarInfoFetch { Reason: { } reason } fetch } => reason.Label() + (fetch.Status is { } s ? " " + s : ""),
        { Result: Upstream.NarDownload { Reason: { } reason } download } => reason.Label() + (download.Status is { } s ? " " + s : ""),
        { Result: Health.UpstreamProbeResult probe } => probe.Detail,
        _ => "failure",
    };
}
