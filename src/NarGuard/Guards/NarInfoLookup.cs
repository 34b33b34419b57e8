using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Concurrency;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;
using NarGuard.Storage;
using NarGuard.Telemetry;
using NarGuard.Upstream;
using Polly;
using Polly.Hedging;

namespace NarGuard.Guards;

/// <summary>
/// Finds a narinfo across the upstreams, in order: the first acceptable answer wins. An upstream is skipped when the
/// NAR is quarantined for it (a narinfo whose NAR is known broken there must not send a client to it) and, for the
/// first upstream only, while the storage probe says its storage is failing. A "no" (404, error, skip) moves to the
/// next upstream at once; with Hedging:Delay the next one is also asked when the current one is merely slow.
/// </summary>
/// <remarks>
/// Built on Polly's hedging strategy: attempt N asks upstream N, an unacceptable answer is a handled outcome (the
/// next attempt starts at once), and Polly cancels the attempts still running once one wins. Delay = infinite is
/// Polly's "fallback mode" (the next attempt only after a failure), which is what Hedging:Delay = 0 means here.
/// </remarks>
public sealed class NarInfoLookup
{
    private static readonly ResiliencePropertyKey<LookupState> StateKey = new("narguard.narinfo_lookup");

    private readonly UpstreamSet _upstreams;
    private readonly StorageHealth _storage;
    private readonly NarSpool _spool;
    private readonly Quarantine _quarantine;
    private readonly NarInfoCache _narInfos;
    private readonly ILogger<NarInfoLookup> _logger;
    private readonly ResiliencePipeline<NarInfoAttempt>? _pipeline;

    public NarInfoLookup(UpstreamSet upstreams, StorageHealth storage, NarSpool spool, Quarantine quarantine, NarInfoCache narInfos, NarGuardOptions options, TimeProvider time, ILogger<NarInfoLookup> logger)
    {
        _upstreams = upstreams;
        _storage = storage;
        _spool = spool;
        _quarantine = quarantine;
        _narInfos = narInfos;
        _logger = logger;
        if (upstreams.IsSingle)
        {
            return;
        }
        _pipeline = new ResiliencePipelineBuilder<NarInfoAttempt> { TimeProvider = time, Name = "narguard-narinfo-upstreams" }
            .AddHedging(new HedgingStrategyOptions<NarInfoAttempt>
            {
                MaxHedgedAttempts = upstreams.Members.Count - 1,
                Delay = options.Hedging.Delay > TimeSpan.Zero ? options.Hedging.Delay : Timeout.InfiniteTimeSpan,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is not { Acceptable: true }),
                ActionGenerator = static args =>
                {
                    var state = args.ActionContext.Properties.GetValue(StateKey, null!);
                    var index = args.AttemptNumber;
                    var token = args.ActionContext.CancellationToken;
                    return async () => Outcome.FromResult(await state.RunAsync(index, token).ConfigureAwait(false));
                },
                OnHedging = args =>
                {
                    var state = args.ActionContext.Properties.GetValue(StateKey, null!);
                    // Here the number counts hedged attempts from 0; the action generator's counts the first call as 0.
                    var index = args.AttemptNumber + 1;
                    if (index < state.Members.Count && state.Attempts[index - 1] is null)
                    {
                        Log.NarInfoHedged(_logger, state.StoreHash, state.Members[index].Name, index);
                    }
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Asks the upstreams in order; returns every attempt that ran (index = upstream position) and the winner, if any.</summary>
    public async Task<(NarInfoAttempt? Winner, IReadOnlyList<NarInfoAttempt?> Attempts)> FindAsync(string storeHash, string? authorization, CancellationToken cancellationToken)
    {
        var state = new LookupState(this, storeHash, authorization, _upstreams.Members);
        if (_pipeline is null)
        {
            var only = await state.RunAsync(0, cancellationToken).ConfigureAwait(false);
            return (only.Acceptable ? only : null, state.Attempts);
        }
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StateKey, state);
        try
        {
            var result = await _pipeline.ExecuteAsync(static async (ctx, s) => await s.RunAsync(0, ctx.CancellationToken).ConfigureAwait(false), context, state).ConfigureAwait(false);
            return (result.Acceptable ? result : null, state.Attempts);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>This upstream's narinfo for the path: the narinfo cache, else the upstream (through its circuit and retries).</summary>
    public async Task<NarInfoFetch> GetAsync(UpstreamMember member, string storeHash, string? clientAuthorization, CancellationToken cancellationToken)
    {
        var key = member.KeyFor(storeHash);
        if (_narInfos.Get(key) is { } cached)
        {
            return NarInfoFetch.Ok(cached);
        }
        NarInfoFetch fetch;
        using (var activity = NarGuardTelemetry.ActivitySource.StartActivity("narguard.upstream.fetch_narinfo"))
        {
            activity?.SetTag("narguard.upstream", member.Name);
            fetch = await member.Resilient.FetchNarInfoAsync(storeHash, member.AuthorizationFor(clientAuthorization), cancellationToken).ConfigureAwait(false);
            activity?.SetTag("http.response.status_code", fetch.Status);
            if (fetch.Reason is { } reason)
            {
                activity?.SetTag("narguard.reason", reason.Label());
            }
        }
        if (fetch.Info is { } info)
        {
            _narInfos.Set(key, info);
        }
        return fetch;
    }

    private async Task<NarInfoAttempt> AttemptAsync(UpstreamMember member, string storeHash, string? authorization, CancellationToken cancellationToken)
    {
        if (_quarantine.TryGet(member.KeyFor(storeHash), out var quarantined))
        {
            return new NarInfoAttempt(member, new NarInfoFetch(null, RejectReason.Quarantined, null, $"NAR quarantined after {quarantined.Label()}"), Asked: false);
        }
        if (member.IsFirst && _storage.RefusesNarInfos && _spool.TryGetAny(storeHash) is null)
        {
            // The storage behind the first upstream (Attic) is failing: its NAR would come back empty (degraded mode).
            var detail = $"storage probe failing ({_storage.Last?.FailedCheck}); NAR not in the spool";
            return new NarInfoAttempt(member, new NarInfoFetch(null, RejectReason.StorageUnhealthy, null, detail), Asked: false);
        }
        return new NarInfoAttempt(member, await GetAsync(member, storeHash, authorization, cancellationToken).ConfigureAwait(false), Asked: true);
    }

    private sealed class LookupState(NarInfoLookup lookup, string storeHash, string? authorization, IReadOnlyList<UpstreamMember> members)
    {
        public string StoreHash => storeHash;
        public IReadOnlyList<UpstreamMember> Members => members;
        public NarInfoAttempt?[] Attempts { get; } = new NarInfoAttempt?[members.Count];

        public async Task<NarInfoAttempt> RunAsync(int index, CancellationToken cancellationToken)
        {
            var attempt = await lookup.AttemptAsync(members[index], storeHash, authorization, cancellationToken).ConfigureAwait(false);
            Attempts[index] = attempt;
            return attempt;
        }
    }
}
