using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using NarGuard.Core.Concurrency;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;
using NarGuard.Telemetry;
using NarGuard.Upstream;

namespace NarGuard.Guards;

/// <summary>
/// Fetches one upstream's NAR body and verifies it into the spool, and records every rejection (metric with reason and
/// upstream, span event, one log line, quarantine for that upstream). Failures are values (<see cref="NarAnswer"/>).
/// </summary>
public sealed class NarFetcher(NarSpool spool, Quarantine quarantines, NarInfoCache narInfos, NarGuardTelemetry telemetry, TimeProvider time, ILogger<NarFetcher> logger)
{
    /// <summary>Runs detached from any one client (see SingleFlight): its own deadline (this upstream's Timeouts:Nar), never the request's token.</summary>
    public async Task<NarAnswer> FetchAndVerifyAsync(UpstreamMember member, NarInfo info, string? authorization, StreamingSink? sink)
    {
        using var activity = NarGuardTelemetry.ActivitySource.StartActivity("narguard.nar.fetch_verify");
        activity?.SetTag("nix.store_path", info.StorePath);
        activity?.SetTag("narguard.upstream", member.Name);
        var timeouts = member.Options.Timeouts;
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeouts.Nar, time);

        if (!member.Endpoint.TryResolveNarUrl(info.Url, out var uri))
        {
            return Reject(member, RejectReason.RedirectDenied, info.StoreHash, info, null, "narinfo URL points outside the upstream", quarantine: true);
        }
        if (sink is not null)
        {
            sink.Upstream = member.Name;
        }

        try
        {
            NarDownload download;
            using (var open = NarGuardTelemetry.ActivitySource.StartActivity("narguard.upstream.fetch_nar"))
            {
                download = await member.Resilient.OpenNarAsync(uri, member.AuthorizationFor(authorization), deadline.Token).ConfigureAwait(false);
                open?.SetTag("http.response.status_code", download.Status);
                open?.SetTag("narguard.redirects", download.Redirects);
            }
            using var _ = download;
            if (download.Response is not { } response)
            {
                // An open circuit says nothing about this NAR: no quarantine, so it is fetched once the upstream is back.
                return Reject(member, download.Reason!.Value, info.StoreHash, info, download.Status, download.Detail, quarantine: download.Reason != RejectReason.CircuitOpen, elapsed: time.GetElapsedTime(started));
            }

            using var writer = spool.BeginWrite(info.StoreHash);
            VerificationResult result;
            using (var verify = NarGuardTelemetry.ActivitySource.StartActivity("narguard.nar.verify"))
            await using (var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false))
            await using (var guarded = new StallGuardStream(body, timeouts.Stall, time))
            {
                Stream copyTo = sink is null ? writer.Stream : new TeeWriteStream(writer.Stream, sink);
                verify?.SetTag("narguard.streamed", sink is not null);
                result = await NarVerifier.VerifyAsync(guarded, NarExpectation.From(info), copyTo, deadline.Token).ConfigureAwait(false);
                verify?.SetTag("narguard.bytes_received", result.CompressedBytes);
                verify?.SetTag("narguard.nar_bytes", result.NarBytes);
                verify?.SetTag("narguard.result", result.Reason?.Label() ?? "verified");
            }
            var elapsed = time.GetElapsedTime(started);
            if (!result.IsValid)
            {
                return Reject(member, result.Reason!.Value, info.StoreHash, info, 200, result.Detail, quarantine: result.Reason != RejectReason.SpoolError,
                    elapsed: elapsed, bytesReceived: result.CompressedBytes, narBytes: result.NarBytes, actualHash: result.ActualNarHash);
            }

            if (sink is not null)
            {
                // Verified: the streaming client gets its last bytes and a clean end now, not after the spool commit.
                // The spool copy is a cache; its failure below no longer concerns this client.
                await sink.CompleteAsync(deadline.Token).ConfigureAwait(false);
            }

            SpoolEntry entry;
            try
            {
                using var spoolWrite = NarGuardTelemetry.ActivitySource.StartActivity("narguard.spool.commit");
                // The narinfo kept beside the body is this upstream's own (its FileHash, its URL): the scrub re-verifies
                // against it, and a spool hit learns from its URL which upstream the bytes came from.
                entry = spool.Commit(writer, info.NarHash.ToNix32(), NarUrls.ServedText(info, member.IsFirst ? null : member.Name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.SpoolWriteFailed(logger, info.StoreHash, ex.GetType().Name + ": " + ex.Message);
                return Reject(member, RejectReason.SpoolError, info.StoreHash, info, 200, "verified, but the spool could not keep it", bytesReceived: result.CompressedBytes, narBytes: result.NarBytes);
            }
            telemetry.Verified(result.CompressedBytes, result.NarBytes, elapsed, member.Name);
            Log.NarVerified(logger, info.StorePath, result.NarBytes, result.CompressedBytes, elapsed.TotalMilliseconds, member.Name);
            activity?.SetTag("narguard.outcome", "verified");
            return new NarAnswer(entry, null, null, false, member.Name);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Reject(member, RejectReason.Timeout, info.StoreHash, info, 200, $"not verified within {timeouts.Nar.TotalSeconds:0} s", quarantine: true, elapsed: time.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Creating the spool temp file failed: the upstream is not to blame, so no quarantine.
            Log.SpoolWriteFailed(logger, info.StoreHash, ex.GetType().Name + ": " + ex.Message);
            return Reject(member, RejectReason.SpoolError, info.StoreHash, info, null, "spool temp file could not be created");
        }
    }

    /// <summary>
    /// Re-encodes <paramref name="supplier"/>'s verified copy (<paramref name="source"/>, described by <paramref name="theirs"/>)
    /// into the compression of the client's narinfo <paramref name="client"/>, verifying the new bytes against that
    /// narinfo as they are written (one pass, through a bounded pipe), and spools them in place of the source. Only
    /// for narinfos without FileHash/FileSize (Attic's): new bytes cannot match a file hash the client was given.
    /// The spooled narinfo is the client's with the supplier's URL, so a Range request for the client's own
    /// upstream never splices these bytes onto another file.
    /// </summary>
    public async Task<NarAnswer> TranscodeAsync(UpstreamMember supplier, SpoolEntry source, NarInfo theirs, NarInfo client)
    {
        using var activity = NarGuardTelemetry.ActivitySource.StartActivity("narguard.nar.transcode");
        activity?.SetTag("narguard.upstream", supplier.Name);
        activity?.SetTag("narguard.compression.from", theirs.CompressionName);
        activity?.SetTag("narguard.compression.to", client.CompressionName);
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(supplier.Options.Timeouts.Nar, time);
        var input = spool.OpenRead(source);
        if (input is null)
        {
            return Reject(supplier, RejectReason.SpoolError, client.StoreHash, client, null, "the verified copy left the spool before it could be transcoded");
        }
        await using (input)
        {
            try
            {
                using var writer = spool.BeginWrite(client.StoreHash);
                var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024));
                var produce = ProduceAsync(input, theirs.Compression, client.Compression, pipe.Writer, deadline.Token);
                VerificationResult result;
                await using (var transcoded = pipe.Reader.AsStream())
                {
                    result = await NarVerifier.VerifyAsync(transcoded, NarExpectation.From(client), writer.Stream, deadline.Token).ConfigureAwait(false);
                }
                await produce.ConfigureAwait(false);
                if (!result.IsValid)
                {
                    // The supplier's copy verified: a failure here is NarGuard's, so nobody is quarantined.
                    return Reject(supplier, result.Reason!.Value, client.StoreHash, client, null, "transcoded copy did not verify: " + result.Detail,
                        bytesReceived: 0, narBytes: result.NarBytes, actualHash: result.ActualNarHash);
                }
                var entry = spool.Commit(writer, client.NarHash.ToNix32(), NarUrls.ServedText(client, supplier.Name));
                var elapsed = time.GetElapsedTime(started);
                Log.NarTranscoded(logger, client.StorePath, supplier.Name, theirs.CompressionName, client.CompressionName, result.CompressedBytes, elapsed.TotalMilliseconds);
                return new NarAnswer(entry, null, null, false, supplier.Name);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                return Reject(supplier, RejectReason.Timeout, client.StoreHash, client, null, $"not transcoded within {supplier.Options.Timeouts.Nar.TotalSeconds:0} s");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.SpoolWriteFailed(logger, client.StoreHash, ex.GetType().Name + ": " + ex.Message);
                return Reject(supplier, RejectReason.SpoolError, client.StoreHash, client, null, "the transcoded copy could not be spooled");
            }
        }
    }

    // Completes the pipe with the transcoder's failure, if any: the verifier then sees a broken body, never a clean end.
    private static async Task ProduceAsync(Stream input, NarCompression from, NarCompression to, PipeWriter writer, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            await using var output = writer.AsStream(leaveOpen: true);
            await NarTranscoder.TranscodeAsync(input, from, to, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        await writer.CompleteAsync(failure).ConfigureAwait(false);
    }

    /// <summary>Records a rejection of <paramref name="member"/>'s answer (null: no upstream was asked) and builds the 404 answer.</summary>
    public NarAnswer Reject(UpstreamMember? member, RejectReason reason, string storeHash, NarInfo? info, int? upstreamStatus, string? detail, bool quarantine = false,
        TimeSpan? elapsed = null, long bytesReceived = 0, long narBytes = 0, string? actualHash = null)
    {
        if (quarantine && member is not null)
        {
            quarantines.Add(member.KeyFor(storeHash), reason);
            narInfos.Remove(member.KeyFor(storeHash));
        }
        telemetry.Rejected(reason, bytesReceived, elapsed, member?.Name);
        var activity = Activity.Current;
        activity?.AddEvent(new ActivityEvent("narguard.nar.rejected", tags: new ActivityTagsCollection
        {
            ["narguard.reason"] = reason.Label(),
            ["nix.store_hash"] = storeHash,
            ["narguard.bytes_received"] = bytesReceived,
            ["narguard.upstream"] = member?.Name,
        }));
        Log.NarRejected(logger, reason.Label(), storeHash, info?.StorePath, info is null ? null : NarUrls.ServedUrl(info, member is null or { IsFirst: true } ? null : member.Name), upstreamStatus, bytesReceived, narBytes,
            info?.NarSize, info?.NarHash.ToNix32String(), actualHash, detail, activity?.TraceId.ToString(), member?.Name);
        return NarAnswer.NotFound(reason, detail);
    }
}
