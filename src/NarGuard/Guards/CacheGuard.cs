using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Concurrency;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;
using NarGuard.Publication;
using NarGuard.Resilience;
using NarGuard.Storage;
using NarGuard.Telemetry;
using NarGuard.Upstream;

namespace NarGuard.Guards;

/// <summary>
/// Decides every narinfo and NAR answer. The rule it enforces: a NAR is answered 200 only from the verified spool,
/// after its body matched the narinfo's NarSize and NarHash; every failure becomes a 404 with a recorded reason.
/// </summary>
public sealed class CacheGuard
{
    private readonly ResilientUpstream _upstream;
    private readonly StorageHealth _storage;
    private readonly NarSpool _spool;
    private readonly Quarantine _quarantine;
    private readonly NarInfoCache _narInfos;
    private readonly NarGuardTelemetry _telemetry;
    private readonly ILogger<CacheGuard> _logger;
    private readonly TimeoutOptions _timeouts;
    private readonly StreamingOptions _streaming;
    private readonly TimeProvider _time;
    // NAR jobs only: narinfo fetches never take this key space (see SingleFlight's remarks).
    private readonly SingleFlight<string, NarAnswer> _narFlights = new();
    private readonly PublicationHolds _holds;

    public CacheGuard(ResilientUpstream upstream, StorageHealth storage, NarSpool spool, Quarantine quarantine, NarInfoCache narInfos, NarGuardTelemetry telemetry, NarGuardOptions options, TimeProvider time, ILogger<CacheGuard> logger, PublicationHolds holds)
    {
        _holds = holds;
        _upstream = upstream;
        _storage = storage;
        _spool = spool;
        _quarantine = quarantine;
        _narInfos = narInfos;
        _telemetry = telemetry;
        _timeouts = options.Timeouts;
        _streaming = options.Streaming;
        _time = time;
        _logger = logger;
    }

    public int NarFetchesInFlight => _narFlights.Count;

    public async Task<NarInfoAnswer> GetNarInfoAsync(string storeHash, string? authorization, CancellationToken cancellationToken)
    {
        if (_holds.TryGet(storeHash, out var held))
        {
            // Pushed through the proxy, and Attic could not serve it back (docs/PUBLICATION.md): a 404 until it verifies.
            return NarInfoAnswer.NotFound(RejectReason.PublicationHold, held.Describe());
        }
        if (_quarantine.TryGet(storeHash, out var quarantined))
        {
            return NarInfoAnswer.NotFound(RejectReason.Quarantined, $"NAR quarantined after {quarantined.Label()}");
        }
        if (_storage.RefusesNarInfos && _spool.TryGetAny(storeHash) is null)
        {
            // The storage behind Attic is failing: the NAR would come back empty, so let Nix build now (degraded mode).
            var detail = $"storage probe failing ({_storage.Last?.FailedCheck}); NAR not in the spool";
            Log.NarInfoNotServed(_logger, storeHash, RejectReason.StorageUnhealthy.Label(), null, detail);
            return NarInfoAnswer.NotFound(RejectReason.StorageUnhealthy, detail);
        }
        var fetch = await GetUpstreamNarInfoAsync(storeHash, authorization, cancellationToken).ConfigureAwait(false);
        if (fetch.Info is { } info)
        {
            return new NarInfoAnswer(NarUrls.ServedText(info), null, null, false);
        }
        if (fetch.IsFailure && _spool.TryGetAny(storeHash) is { } entry && _spool.ReadNarInfo(entry) is { } text)
        {
            // The upstream cannot answer, but this path was verified whole before: keep builders fast.
            Log.NarInfoFromSpool(_logger, storeHash, fetch.Reason!.Value.Label());
            return new NarInfoAnswer(text, null, null, true);
        }
        Log.NarInfoNotServed(_logger, storeHash, fetch.Reason!.Value.Label(), fetch.Status, fetch.Detail);
        return NarInfoAnswer.NotFound(fetch.Reason.Value, fetch.Detail);
    }

    /// <summary>
    /// Answers a NAR request. When the NAR must be fetched and <paramref name="openSink"/> is given and the NAR is
    /// large enough (Streaming), this request streams it while it verifies: the sink it got from
    /// <paramref name="openSink"/> receives the bytes, and the caller finishes or aborts the response.
    /// </summary>
    public async Task<NarAnswer> GetNarAsync(string storeHash, string fileName, string? authorization, Func<NarInfo, StreamingSink>? openSink, CancellationToken cancellationToken)
    {
        if (_holds.TryGet(storeHash, out var held))
        {
            return Reject(RejectReason.PublicationHold, storeHash, null, null, held.Describe());
        }
        if (_quarantine.TryGet(storeHash, out var quarantined))
        {
            return Reject(RejectReason.Quarantined, storeHash, null, null, $"quarantined after {quarantined.Label()}");
        }

        var fetch = await GetUpstreamNarInfoAsync(storeHash, authorization, cancellationToken).ConfigureAwait(false);
        if (fetch.Info is not { } info)
        {
            if (fetch.IsFailure && SpoolEntryWithoutUpstream(storeHash, fileName) is { } offline)
            {
                _telemetry.SpoolHit();
                return new NarAnswer(offline, null, null, true);
            }
            return Reject(fetch.Reason!.Value, storeHash, null, fetch.Status, "narinfo unavailable: " + fetch.Detail);
        }
        if (!string.Equals(fileName, NarUrls.ServedFileName(info), StringComparison.Ordinal))
        {
            return Reject(RejectReason.NarInfoInvalid, storeHash, info, null, "requested NAR file is not the one the narinfo names");
        }
        if (info.Compression == NarCompression.Unsupported)
        {
            return Reject(RejectReason.UnsupportedCompression, storeHash, info, null, $"compression '{info.CompressionName}' cannot be verified");
        }

        var narHash = info.NarHash.ToNix32();
        if (_spool.TryGet(storeHash, narHash) is { } hit)
        {
            _telemetry.SpoolHit();
            return new NarAnswer(hit, null, null, true);
        }
        _telemetry.SpoolMiss();
        var sink = openSink is not null && ShouldStream(info) ? openSink(info) : null;
        // A streaming request waits for the fetch even when its client hangs up: the fetch writes into this
        // request's response, which must not be recycled underneath it (the fetch's own deadline bounds the wait).
        return await _narFlights.RunAsync(storeHash + "-" + narHash, _ => FetchAndVerifyAsync(info, authorization, sink), out _, sink is null ? cancellationToken : CancellationToken.None).ConfigureAwait(false);
    }

    private bool ShouldStream(NarInfo info) => _streaming.Mode switch
    {
        StreamingMode.Off => false,
        StreamingMode.Large => info.NarSize >= _streaming.MinNarSize,
        StreamingMode.Always => true,
        _ => throw new ArgumentOutOfRangeException(nameof(info), _streaming.Mode, "unknown streaming mode"),
    };

    private SpoolEntry? SpoolEntryWithoutUpstream(string storeHash, string fileName)
    {
        if (_spool.TryGetAny(storeHash) is not { } entry || _spool.ReadNarInfo(entry) is not { } text)
        {
            return null;
        }
        return NarInfo.TryParse(text, out var info, out _) && string.Equals(NarUrls.ServedFileName(info!), fileName, StringComparison.Ordinal) ? entry : null;
    }

    private async Task<NarInfoFetch> GetUpstreamNarInfoAsync(string storeHash, string? authorization, CancellationToken cancellationToken)
    {
        if (_narInfos.Get(storeHash) is { } cached)
        {
            return NarInfoFetch.Ok(cached);
        }
        NarInfoFetch fetch;
        using (var activity = NarGuardTelemetry.ActivitySource.StartActivity("narguard.upstream.fetch_narinfo"))
        {
            fetch = await _upstream.FetchNarInfoAsync(storeHash, authorization, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("http.response.status_code", fetch.Status);
            if (fetch.Reason is { } reason)
            {
                activity?.SetTag("narguard.reason", reason.Label());
            }
        }
        if (fetch.Info is { } info)
        {
            _narInfos.Set(storeHash, info);
        }
        return fetch;
    }

    // Runs detached from any one client (see SingleFlight): its own deadline, never the request's token.
    private async Task<NarAnswer> FetchAndVerifyAsync(NarInfo info, string? authorization, StreamingSink? sink)
    {
        using var activity = NarGuardTelemetry.ActivitySource.StartActivity("narguard.nar.fetch_verify");
        activity?.SetTag("nix.store_path", info.StorePath);
        var started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(_timeouts.Nar, _time);

        if (!_upstream.Endpoint.TryResolveNarUrl(info.Url, out var uri))
        {
            return Reject(RejectReason.RedirectDenied, info.StoreHash, info, null, "narinfo URL points outside the upstream", quarantine: true);
        }

        try
        {
            NarDownload download;
            using (var open = NarGuardTelemetry.ActivitySource.StartActivity("narguard.upstream.fetch_nar"))
            {
                download = await _upstream.OpenNarAsync(uri, authorization, deadline.Token).ConfigureAwait(false);
                open?.SetTag("http.response.status_code", download.Status);
                open?.SetTag("narguard.redirects", download.Redirects);
            }
            using var _ = download;
            if (download.Response is not { } response)
            {
                // An open circuit says nothing about this NAR: no quarantine, so it is fetched once the upstream is back.
                return Reject(download.Reason!.Value, info.StoreHash, info, download.Status, download.Detail, quarantine: download.Reason != RejectReason.CircuitOpen, elapsed: _time.GetElapsedTime(started));
            }

            using var writer = _spool.BeginWrite(info.StoreHash);
            VerificationResult result;
            using (var verify = NarGuardTelemetry.ActivitySource.StartActivity("narguard.nar.verify"))
            await using (var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false))
            await using (var guarded = new StallGuardStream(body, _timeouts.Stall, _time))
            {
                Stream copyTo = sink is null ? writer.Stream : new TeeWriteStream(writer.Stream, sink);
                verify?.SetTag("narguard.streamed", sink is not null);
                result = await NarVerifier.VerifyAsync(guarded, NarExpectation.From(info), copyTo, deadline.Token).ConfigureAwait(false);
                verify?.SetTag("narguard.bytes_received", result.CompressedBytes);
                verify?.SetTag("narguard.nar_bytes", result.NarBytes);
                verify?.SetTag("narguard.result", result.Reason?.Label() ?? "verified");
            }
            var elapsed = _time.GetElapsedTime(started);
            if (!result.IsValid)
            {
                return Reject(result.Reason!.Value, info.StoreHash, info, 200, result.Detail, quarantine: result.Reason != RejectReason.SpoolError,
                    elapsed: elapsed, bytesReceived: result.CompressedBytes, narBytes: result.NarBytes, actualHash: result.ActualNarHash);
            }

            if (sink is not null)
            {
                // Verified: the streaming client gets its last bytes and a clean end now, not after the spool's fsync
                // (about 1 s per 146 MiB on this project's disk). The spool copy is a cache; its failure below no
                // longer concerns this client.
                await sink.CompleteAsync(deadline.Token).ConfigureAwait(false);
            }

            SpoolEntry entry;
            try
            {
                using var spoolWrite = NarGuardTelemetry.ActivitySource.StartActivity("narguard.spool.commit");
                entry = _spool.Commit(writer, info.NarHash.ToNix32(), NarUrls.ServedText(info));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.SpoolWriteFailed(_logger, info.StoreHash, ex.GetType().Name + ": " + ex.Message);
                return Reject(RejectReason.SpoolError, info.StoreHash, info, 200, "verified, but the spool could not keep it", bytesReceived: result.CompressedBytes, narBytes: result.NarBytes);
            }
            _telemetry.Verified(result.CompressedBytes, result.NarBytes, elapsed);
            Log.NarVerified(_logger, info.StorePath, result.NarBytes, result.CompressedBytes, elapsed.TotalMilliseconds);
            activity?.SetTag("narguard.outcome", "verified");
            return new NarAnswer(entry, null, null, false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Reject(RejectReason.Timeout, info.StoreHash, info, 200, $"not verified within {_timeouts.Nar.TotalSeconds:0} s", quarantine: true, elapsed: _time.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Creating the spool temp file failed: the upstream is not to blame, so no quarantine.
            Log.SpoolWriteFailed(_logger, info.StoreHash, ex.GetType().Name + ": " + ex.Message);
            return Reject(RejectReason.SpoolError, info.StoreHash, info, null, "spool temp file could not be created");
        }
    }

    private NarAnswer Reject(RejectReason reason, string storeHash, NarInfo? info, int? upstreamStatus, string? detail, bool quarantine = false,
        TimeSpan? elapsed = null, long bytesReceived = 0, long narBytes = 0, string? actualHash = null)
    {
        if (quarantine)
        {
            _quarantine.Add(storeHash, reason);
            _narInfos.Remove(storeHash);
        }
        _telemetry.Rejected(reason, bytesReceived, elapsed);
        var activity = Activity.Current;
        activity?.AddEvent(new ActivityEvent("narguard.nar.rejected", tags: new ActivityTagsCollection
        {
            ["narguard.reason"] = reason.Label(),
            ["nix.store_hash"] = storeHash,
            ["narguard.bytes_received"] = bytesReceived,
        }));
        Log.NarRejected(_logger, reason.Label(), storeHash, info?.StorePath, info is null ? null : NarUrls.ServedUrl(info), upstreamStatus, bytesReceived, narBytes,
            info?.NarSize, info?.NarHash.ToNix32String(), actualHash, detail, activity?.TraceId.ToString());
        return NarAnswer.NotFound(reason, detail);
    }
}
