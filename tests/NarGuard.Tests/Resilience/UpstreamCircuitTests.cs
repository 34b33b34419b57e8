using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NarGuard.Configuration;
using NarGuard.Core.Verification;
using NarGuard.Resilience;
using NarGuard.Upstream;
using Xunit;

namespace NarGuard.Tests.Resilience;

/// <summary>The circuit's state machine on a fake clock: which answers count, when it opens, half-opens and closes.</summary>
public sealed class UpstreamCircuitTests
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<UpstreamCircuitState> _transitions = [];
    private int _calls;

    private UpstreamCircuit Circuit(Action<CircuitOptions>? configure = null)
    {
        var options = new NarGuardOptions();
        options.Resilience.Circuit.MinimumThroughput = 4;
        options.Resilience.Circuit.FailureRatio = 0.5;
        options.Resilience.Circuit.BreakDuration = Break;
        configure?.Invoke(options.Resilience.Circuit);
        var circuit = new UpstreamCircuit(options, _time, NullLogger<UpstreamCircuit>.Instance);
        circuit.StateChanged += _transitions.Add;
        return circuit;
    }

    private static readonly NarInfoFetch Refused = new(null, RejectReason.UpstreamError, null, "connection: ConnectionError");
    private static readonly NarInfoFetch ServerError = new(null, RejectReason.UpstreamStatus, 502, "narinfo answered 502");
    private static readonly NarInfoFetch TimedOut = new(null, RejectReason.Timeout, null, "no narinfo within 5 s");
    private static readonly NarInfoFetch Absent = new(null, RejectReason.UpstreamStatus, 404, "narinfo answered 404");
    private static readonly NarInfoFetch OpenAnswer = new(null, RejectReason.CircuitOpen, null, "open");

    private Task<NarInfoFetch> CallAsync(UpstreamCircuit circuit, NarInfoFetch answer) =>
        circuit.ExecuteAsync(_ =>
        {
            _calls++;
            return Task.FromResult(answer);
        }, () => OpenAnswer, CancellationToken.None);

    [Fact]
    public async Task Opens_after_repeated_failures_then_refuses_without_calling_the_upstream()
    {
        var circuit = Circuit();
        await CallAsync(circuit, Refused);
        await CallAsync(circuit, ServerError);
        await CallAsync(circuit, TimedOut);
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State); // below MinimumThroughput
        await CallAsync(circuit, Refused);
        Assert.Equal(UpstreamCircuitState.Open, circuit.State);

        var callsBefore = _calls;
        var refused = await CallAsync(circuit, Absent);

        Assert.Same(OpenAnswer, refused);
        Assert.Equal(callsBefore, _calls);
        Assert.Equal([UpstreamCircuitState.Open], _transitions);
        Assert.Equal(_time.GetUtcNow(), circuit.ChangedAt);
    }

    [Fact]
    public async Task After_the_break_one_call_probes_and_success_closes_the_circuit()
    {
        var circuit = Circuit();
        for (var i = 0; i < 4; i++)
        {
            await CallAsync(circuit, Refused);
        }
        _time.Advance(Break - TimeSpan.FromSeconds(1));
        Assert.Same(OpenAnswer, await CallAsync(circuit, Absent));

        _time.Advance(TimeSpan.FromSeconds(1));
        var probe = await CallAsync(circuit, Absent);

        Assert.Same(Absent, probe);
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
        Assert.Equal([UpstreamCircuitState.Open, UpstreamCircuitState.HalfOpen, UpstreamCircuitState.Closed], _transitions);
    }

    [Fact]
    public async Task A_failed_probe_opens_the_circuit_again()
    {
        var circuit = Circuit();
        for (var i = 0; i < 4; i++)
        {
            await CallAsync(circuit, Refused);
        }
        _time.Advance(Break);

        await CallAsync(circuit, ServerError);

        Assert.Equal(UpstreamCircuitState.Open, circuit.State);
        Assert.Equal([UpstreamCircuitState.Open, UpstreamCircuitState.HalfOpen, UpstreamCircuitState.Open], _transitions);
        Assert.Same(OpenAnswer, await CallAsync(circuit, Absent));
    }

    [Fact]
    public async Task Answers_that_are_not_outages_never_open_it()
    {
        var circuit = Circuit();
        NarInfoFetch[] answers =
        [
            Absent,
            new(null, RejectReason.UpstreamStatus, 401, "401"),
            new(null, RejectReason.UpstreamStatus, 403, "403"),
            new(null, RejectReason.UpstreamStatus, 410, "410"),
            new(null, RejectReason.UpstreamStatus, 501, "501"),
            new(null, RejectReason.NarInfoInvalid, 200, "garbage"),
        ];
        for (var round = 0; round < 5; round++)
        {
            foreach (var answer in answers)
            {
                await CallAsync(circuit, answer);
            }
        }
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
        Assert.Empty(_transitions);
    }

    [Fact]
    public async Task Nar_opens_count_like_narinfo_fetches()
    {
        var circuit = Circuit();
        for (var i = 0; i < 4; i++)
        {
            await circuit.ExecuteAsync(_ => Task.FromResult(NarDownload.Failed(RejectReason.UpstreamStatus, 503, "NAR answered 503", 0)),
                () => NarDownload.Failed(RejectReason.CircuitOpen, null, "open", 0), CancellationToken.None);
        }
        var refused = await circuit.ExecuteAsync(_ => Task.FromResult(NarDownload.Failed(RejectReason.UpstreamStatus, 404, "404", 0)),
            () => NarDownload.Failed(RejectReason.CircuitOpen, null, "open", 0), CancellationToken.None);

        Assert.Equal(UpstreamCircuitState.Open, circuit.State);
        Assert.Equal(RejectReason.CircuitOpen, refused.Reason);
    }

    [Fact]
    public async Task Clients_hanging_up_are_not_failures()
    {
        var circuit = Circuit();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        for (var i = 0; i < 10; i++)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => circuit.ExecuteAsync<NarInfoFetch>(
                token => Task.FromCanceled<NarInfoFetch>(cancelled.Token), () => OpenAnswer, CancellationToken.None));
        }
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
    }

    [Fact]
    public async Task Disabled_it_stays_closed_whatever_happens()
    {
        var circuit = Circuit(c => c.Enabled = false);
        for (var i = 0; i < 20; i++)
        {
            await CallAsync(circuit, Refused);
        }
        Assert.False(circuit.IsEnabled);
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
        Assert.Equal(20, _calls);
    }
}
