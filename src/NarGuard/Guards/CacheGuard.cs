using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Concurrency;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;
using NarGuard.Publication;
using NarGuard.Telemetry;
using NarGuard.Upstream;

namespace NarGuard.Guards;

/// <summary>
/// Decides every narinfo and NAR answer. The rule it enforces: a NAR is answered 200 only from the verified spool,
/// after its body matched the narinfo's NarSize and NarHash; every failure becomes a 404 with a recorded reason.
/// With several upstreams, a NAR whose copy at the client's upstream fails is fetched from the next upstream whose
/// narinfo has the same NarHash and compression (<see cref="FetchWithFailoverAsync"/>).
/// </summary>
public sealed class CacheGuard
{
    private readonly UpstreamSet _upstreams;
    private readonly NarInfoLookup _lookup;
    private readonly NarFetcher _fetcher;
    private readonly NarSpool _spool;
    private readonly Quarantine _quarantine;
    private readonly NarGuardTelemetry _telemetry;
    private readonly ILogger<CacheGuard> _logger;
    private readonly StreamingOptions _streaming;
    // NAR jobs only: narinfo fetches never take this key space (see SingleFlight's remarks).
    private readonly SingleFlight<string, NarAnswer> _narFlights = new();
    private readonly PublicationHolds _holds;

    public CacheGuard(UpstreamSet upstreams, NarInfoLookup lookup, NarFetcher fetcher, NarSpool spool, Quarantine quarantine, NarGuardTelemetry telemetry, NarGuardOptions options, ILogger<CacheGuard> logger, PublicationHolds holds)
    {
        _holds = holds;
        _upstreams = upstreams;
        _lookup = lookup;
        _fetcher = fetcher;
        _spool = spool;
        _quarantine = quarantine;
        _telemetry = telemetry;
        _streaming = options.Streaming;
        _logger = logger;
    }

    public int NarFetchesInFlight => _narFlights.Count;

    /// <summary>The verified NAR was evicted or replaced twice between its answer and its open: a 404 with evidence.</summary>
    public NarAnswer RejectVanished(string storeHash) =>
        _fetcher.Reject(null, RejectReason.SpoolError, storeHash, null, null, "verified NAR vanished from the spool between the answer and the open, twice");

    public async Task<NarInfoAnswer> GetNarInfoAsync(string storeHash, string? authorization, CancellationToken cancellationToken)
    {
        if (_holds.TryGet(storeHash, out var held))
        {
            // Pushed through the proxy, and Attic could not serve it back (docs/PUBLICATION.md): a 404 until it verifies.
            return NarInfoAnswer.NotFound(RejectReason.PublicationHold, held.Describe());
        }
        var (winner, attempts) = await _lookup.FindAsync(storeHash, authorization, cancellationToken).ConfigureAwait(false);
        if (winner is not null)
        {
            if (!winner.Member.IsFirst)
            {
                Log.NarInfoFromLaterUpstream(_logger, storeHash, winner.Member.Name, winner.Member.Index, Describe(attempts));
            }
            return new NarInfoAnswer(NarUrls.ServedText(winner.Fetch.Info!, winner.Member.IsFirst ? null : winner.Member.Name), null, null, false, winner.Member.Name);
        }
        // Attempts are values; only a cancelled one is missing (the client left while it ran).
        if (attempts.FirstOrDefault(a => a is not null) is not { } first)
        {
            return NarInfoAnswer.NotFound(RejectReason.UpstreamError, "no upstream answered");
        }
        if (_upstreams.IsSingle && first.Fetch.Reason == RejectReason.Quarantined)
        {
            return NarInfoAnswer.NotFound(RejectReason.Quarantined, first.Fetch.Detail);
        }
        var failure = attempts.FirstOrDefault(a => a is { Asked: true, Fetch.IsFailure: true });
        if (failure is not null && _spool.TryGetAny(storeHash) is { } entry && _spool.ReadNarInfo(entry) is { } text)
        {
            // The upstreams cannot answer, but this path was verified whole before: keep builders fast.
            Log.NarInfoFromSpool(_logger, storeHash, failure.Fetch.Reason!.Value.Label());
            return new NarInfoAnswer(text, null, null, true);
        }
        var detail = _upstreams.IsSingle ? first.Fetch.Detail : Describe(attempts);
        Log.NarInfoNotServed(_logger, storeHash, first.Fetch.Reason!.Value.Label(), first.Fetch.Status, detail);
        return NarInfoAnswer.NotFound(first.Fetch.Reason.Value, detail);
    }

    /// <summary>
    /// Answers a NAR request for the URL of upstream <paramref name="upstreamName"/> (null: the first). When the NAR
    /// must be fetched and <paramref name="openSink"/> is given and the NAR is large enough (Streaming), this request
    /// streams it while it verifies. <paramref name="isRange"/>: the client asked for part of the body, which only a
    /// byte-identical copy may answer.
    /// </summary>
    public async Task<NarAnswer> GetNarAsync(string storeHash, string? upstreamName, string fileName, string? authorization, Func<NarInfo, StreamingSink>? openSink, bool isRange, CancellationToken cancellationToken)
    {
        if (_holds.TryGet(storeHash, out var held))
        {
            return _fetcher.Reject(null, RejectReason.PublicationHold, storeHash, null, null, held.Describe());
        }
        if (_upstreams.Find(upstreamName) is not { } member)
        {
            return _fetcher.Reject(null, RejectReason.UnknownUpstream, storeHash, null, null,
                $"no upstream named '{upstreamName}' is configured (it was renamed or removed after the client got the narinfo)");
        }
        var quarantinedHere = _quarantine.TryGet(member.KeyFor(storeHash), out var quarantined);
        if (quarantinedHere && _upstreams.IsSingle)
        {
            return _fetcher.Reject(member, RejectReason.Quarantined, storeHash, null, null, $"quarantined after {quarantined.Label()}");
        }

        // The narinfo the client holds is this upstream's: its NarHash and Compression are what the bytes must match.
        var fetch = await _lookup.GetAsync(member, storeHash, authorization, cancellationToken).ConfigureAwait(false);
        if (fetch.Info is not { } info)
        {
            if (quarantinedHere)
            {
                return _fetcher.Reject(member, RejectReason.Quarantined, storeHash, null, null,
                    $"quarantined after {quarantined.Label()}; its narinfo is unavailable ({fetch.Reason?.Label()}), so no other copy can be checked against it");
            }
            if (fetch.IsFailure && SpoolEntryWithoutUpstream(storeHash, fileName) is { } offline)
            {
                _telemetry.SpoolHit();
                return new NarAnswer(offline, null, null, true, member.Name);
            }
            return _fetcher.Reject(member, fetch.Reason!.Value, storeHash, null, fetch.Status, "narinfo unavailable: " + fetch.Detail);
        }
        if (!string.Equals(fileName, NarUrls.ServedFileName(info, member.IsFirst ? null : member.Name), StringComparison.Ordinal))
        {
            return _fetcher.Reject(member, RejectReason.NarInfoInvalid, storeHash, info, null, "requested NAR file is not the one the narinfo names");
        }
        if (info.Compression == NarCompression.Unsupported)
        {
            return _fetcher.Reject(member, RejectReason.UnsupportedCompression, storeHash, info, null, $"compression '{info.CompressionName}' cannot be verified");
        }

        var narHash = info.NarHash.ToNix32();
        if (_spool.TryGet(storeHash, narHash) is { } hit)
        {
            var (usable, supplier) = SpoolHitFits(hit, info, member, isRange);
            if (usable == SpoolFit.Serve)
            {
                _telemetry.SpoolHit();
                return new NarAnswer(hit, null, null, true, supplier);
            }
            if (usable == SpoolFit.RangeUnprovable)
            {
                return _fetcher.Reject(member, RejectReason.RangeUnprovable, storeHash, info, null,
                    $"the spooled copy came from upstream '{supplier}', not provably the same file as '{member.Name}''s (no equal FileHash): a Range answer could splice two files");
            }
        }
        _telemetry.SpoolMiss();
        var sink = openSink is not null && ShouldStream(info) ? openSink(info) : null;
        // With several upstreams the key carries the compression: two narinfos with one NarHash but another compression
        // must not share a fetch, whose bytes are in one of them.
        // A Range request's fetch skips copies that are not provably the same file: full requests must not join it
        // and inherit a 404 that another upstream's intact copy would have answered.
        var key = storeHash + "-" + narHash + (_upstreams.IsSingle ? "" : "-" + info.CompressionName + (isRange ? "-range" : ""));
        // A streaming request waits for the fetch even when its client hangs up: the fetch writes into this
        // request's response, which must not be recycled underneath it (the fetch's own deadline bounds the wait).
        var answer = await _narFlights.RunAsync(key, _ => FetchWithFailoverAsync(member, info, quarantinedHere, authorization, sink, isRange), out _, sink is null ? cancellationToken : CancellationToken.None).ConfigureAwait(false);
        if (isRange && answer.Entry is not null && answer.Upstream != member.Name && !SameFile(info, SuppliedInfo(answer.Entry)))
        {
            // Joined a full fetch that failed over: the copy is intact but not provably the bytes this client already has.
            return _fetcher.Reject(member, RejectReason.RangeUnprovable, storeHash, info, null, $"only upstream '{answer.Upstream}' had an intact copy, not provably the same file (no equal FileHash)");
        }
        return answer;
    }

    private bool ShouldStream(NarInfo info) => _streaming.Mode switch
    {
        StreamingMode.Off => false,
        StreamingMode.Large => info.NarSize >= _streaming.MinNarSize,
        StreamingMode.Always => true,
        _ => throw new ArgumentOutOfRangeException(nameof(info), _streaming.Mode, "unknown streaming mode"),
    };

    /// <summary>
    /// The client's upstream first (unless its copy is quarantined), then every other upstream in order whose narinfo
    /// describes the same NAR (NarHash, NarSize). The client decompresses with ITS narinfo's compression, so a copy in
    /// another one is never served as it is: it is re-encoded into the client's compression and verified again against
    /// the client's narinfo (when that narinfo has no FileHash/FileSize and NarGuard can write the compression, see
    /// <see cref="NarTranscoder"/>), else skipped. A streamed response can switch only while nothing went out.
    /// </summary>
    private async Task<NarAnswer> FetchWithFailoverAsync(UpstreamMember member, NarInfo info, bool quarantinedHere, string? authorization, StreamingSink? sink, bool isRange)
    {
        NarAnswer? failed = null;
        if (!quarantinedHere)
        {
            var own = await _fetcher.FetchAndVerifyAsync(member, info, authorization, sink).ConfigureAwait(false);
            if (own.Entry is not null || _upstreams.IsSingle || sink is { Started: true })
            {
                return own;
            }
            failed = own;
        }
        foreach (var other in _upstreams.Members)
        {
            if (other == member)
            {
                continue;
            }
            if (sink is not null && !sink.TryReset())
            {
                break;
            }
            if (_quarantine.TryGet(other.KeyFor(info.StoreHash), out var reason))
            {
                Failover(member, other, info.StoreHash, "quarantined", $"quarantined there after {reason.Label()}");
                continue;
            }
            // The candidate's narinfo, on the fetch's own time: the client may have left, the spool still wants the NAR.
            using var narInfoDeadline = new CancellationTokenSource(other.Options.Timeouts.NarInfo);
            var candidate = await _lookup.GetAsync(other, info.StoreHash, authorization, narInfoDeadline.Token).ConfigureAwait(false);
            if (candidate.Info is not { } theirs)
            {
                Failover(member, other, info.StoreHash, "no_narinfo", candidate.Reason?.Label() + " " + candidate.Detail);
                continue;
            }
            if (!theirs.NarHash.Equals(info.NarHash) || theirs.NarSize != info.NarSize)
            {
                Failover(member, other, info.StoreHash, "nar_hash_differs", $"NarHash {theirs.NarHash.ToNix32String()} / NarSize {theirs.NarSize} there, {info.NarHash.ToNix32String()} / {info.NarSize} in the client's narinfo");
                continue;
            }
            if (isRange && !SameFile(info, theirs))
            {
                Failover(member, other, info.StoreHash, "range_unprovable", "a Range request needs the same file, and FileHash does not prove it");
                continue;
            }
            if (theirs.Compression != info.Compression)
            {
                if (!CanTranscode(theirs, info))
                {
                    Failover(member, other, info.StoreHash, "compression_differs", $"{theirs.CompressionName} there, {info.CompressionName} in the client's narinfo{(info.FileHash is null ? "" : " (which has a FileHash)")}");
                    continue;
                }
                // Not streamed: the client waits while the copy is fetched, verified, re-encoded and verified again.
                var copy = await _fetcher.FetchAndVerifyAsync(other, theirs, authorization, sink: null).ConfigureAwait(false);
                var transcoded = copy.Entry is { } verified ? await _fetcher.TranscodeAsync(other, verified, theirs, info).ConfigureAwait(false) : copy;
                Failover(member, other, info.StoreHash, transcoded.Entry is not null ? "served_transcoded" : "rejected",
                    transcoded.Entry is not null ? $"its {theirs.CompressionName} copy verified and re-encoded as {info.CompressionName}" : transcoded.Reason?.Label() + ": " + transcoded.Detail);
                if (transcoded.Entry is not null)
                {
                    return transcoded;
                }
                continue;
            }
            // The stream's Content-Length is the client's FileSize, when its narinfo has one: another encoding of the
            // same NAR (another size) is then fetched into the spool and served from there instead.
            var streamTo = sink is not null && (info.FileSize is null || theirs.FileSize == info.FileSize) ? sink : null;
            var answer = await _fetcher.FetchAndVerifyAsync(other, theirs, authorization, streamTo).ConfigureAwait(false);
            Failover(member, other, info.StoreHash, answer.Entry is not null ? "served" : "rejected", answer.Entry is not null ? "its copy verified" : answer.Reason?.Label() + ": " + answer.Detail);
            if (answer.Entry is not null || sink is { Started: true })
            {
                return answer;
            }
        }
        return failed ?? _fetcher.Reject(member, RejectReason.Quarantined, info.StoreHash, info, null, "quarantined here, and no other upstream served an intact copy");
    }

    private void Failover(UpstreamMember from, UpstreamMember to, string storeHash, string outcome, string? detail)
    {
        _telemetry.Failover(from.Name, to.Name, outcome);
        System.Diagnostics.Activity.Current?.AddEvent(new System.Diagnostics.ActivityEvent("narguard.nar.failover", tags: new System.Diagnostics.ActivityTagsCollection
        {
            ["narguard.upstream.from"] = from.Name,
            ["narguard.upstream.to"] = to.Name,
            ["narguard.outcome"] = outcome,
            ["nix.store_hash"] = storeHash,
        }));
        Log.NarFailover(_logger, storeHash, from.Name, to.Name, outcome, detail);
    }

    private enum SpoolFit
    {
        Serve,
        Miss,
        RangeUnprovable,
    }

    /// <summary>
    /// Whether a spooled body (keyed by store hash and NarHash only) may answer this request. With several upstreams
    /// it may hold another upstream's copy: served only in the requested narinfo's compression, and to a Range request
    /// only when it is provably the same file (the client already holds the first bytes of its own upstream's file).
    /// </summary>
    private (SpoolFit Fit, string Supplier) SpoolHitFits(SpoolEntry hit, NarInfo requested, UpstreamMember member, bool isRange)
    {
        if (_upstreams.IsSingle)
        {
            return (SpoolFit.Serve, member.Name);
        }
        if (_spool.ReadNarInfo(hit) is not { } text || !NarInfo.TryParse(text, out var stored, out _))
        {
            return (SpoolFit.Miss, member.Name);
        }
        var supplier = NarUrls.UpstreamOf(stored!.Url) ?? _upstreams.First.Name;
        if (stored.Compression != requested.Compression)
        {
            return (SpoolFit.Miss, supplier);
        }
        if (isRange && supplier != member.Name && !SameFile(requested, stored))
        {
            return (SpoolFit.RangeUnprovable, supplier);
        }
        return (SpoolFit.Serve, supplier);
    }

    private NarInfo? SuppliedInfo(SpoolEntry entry) =>
        _spool.ReadNarInfo(entry) is { } text && NarInfo.TryParse(text, out var info, out _) ? info : null;

    // A re-encoded copy cannot match a FileHash/FileSize the client holds (nor would the spool's scrub accept it).
    private static bool CanTranscode(NarInfo theirs, NarInfo client) =>
        client.FileHash is null && client.FileSize is null && NarTranscoder.CanTranscode(theirs.Compression, client.Compression);

    private static bool SameFile(NarInfo a, NarInfo? b) =>
        b is not null && a.FileHash is { } fa && b.FileHash is { } fb && fa.Equals(fb) && a.FileSize == b.FileSize;

    private SpoolEntry? SpoolEntryWithoutUpstream(string storeHash, string fileName)
    {
        if (_spool.TryGetAny(storeHash) is not { } entry || _spool.ReadNarInfo(entry) is not { } text)
        {
            return null;
        }
        if (!NarInfo.TryParse(text, out var info, out _))
        {
            return null;
        }
        // The stored narinfo's own URL (the first upstream's shape, or nar/<name>/...) is what a client was told.
        return string.Equals(NarUrls.ServedUrl(info!)[4..], fileName, StringComparison.Ordinal) || string.Equals(info!.Url, "nar/" + fileName, StringComparison.Ordinal) ? entry : null;
    }

    private string Describe(IReadOnlyList<NarInfoAttempt?> attempts) =>
        string.Join("; ", attempts.Select((a, i) => a is null ? $"{_upstreams.Members[i].Name}: no answer (hedged or not reached)" : $"{a.Member.Name}: {(a.Acceptable ? "ok" : a.Fetch.Reason?.Label() + (a.Fetch.Status is { } s ? " " + s : "") + (a.Fetch.Detail is { } d ? " (" + d + ")" : ""))}"));
}
