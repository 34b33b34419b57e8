using NarGuard.Configuration;
using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using NarGuard.Upstream;

namespace NarGuard.Check;

/// <summary>
/// Audits store paths of a cache with the proxy's own parts: <see cref="UpstreamClient"/> fetches the narinfo and
/// opens the NAR (redirects on the same allow-list), <see cref="NarVerifier"/> decompresses and checks NarSize,
/// NarHash, FileSize and FileHash in one streaming pass. Nothing is written to disk and memory stays flat: each NAR
/// is one verified stream, at most <see cref="Concurrency"/> at a time. Verdicts are values, never exceptions, so a
/// hosted service (a canary) can call <see cref="CheckAsync(IEnumerable{string}, ICheckObserver?, CancellationToken)"/>
/// as the command does.
/// </summary>
public sealed class CacheChecker
{
    public const int DefaultConcurrency = 4;

    private readonly UpstreamClient _upstream;
    private readonly TimeoutOptions _timeouts;
    private readonly TimeProvider _time;
    private readonly string? _secret;

    public CacheChecker(UpstreamClient upstream, TimeoutOptions timeouts, int concurrency = DefaultConcurrency, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(timeouts);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _upstream = upstream;
        _timeouts = timeouts;
        Concurrency = concurrency;
        _time = time ?? TimeProvider.System;
        _secret = upstream.Endpoint.DefaultAuthorization?["Bearer ".Length..];
    }

    /// <summary>Most narinfo or NAR fetches in flight at once.</summary>
    public int Concurrency { get; }

    /// <summary>Checks store hashes (or store paths); results come back in input order, duplicates checked once.</summary>
    public Task<IReadOnlyList<PathCheckResult>> CheckAsync(IEnumerable<string> storeHashes, ICheckObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var targets = new List<CheckTarget>();
        foreach (var input in storeHashes)
        {
            if (!StoreInputs.TryParse(input, out var target, out var error))
            {
                throw new ArgumentException(error, nameof(storeHashes));
            }
            targets.Add(target);
        }
        return CheckAsync(StoreInputs.Distinct(targets), observer, cancellationToken);
    }

    /// <summary>Checks <paramref name="targets"/>, reusing narinfos they already carry; results in input order.</summary>
    public async Task<IReadOnlyList<PathCheckResult>> CheckAsync(IReadOnlyList<CheckTarget> targets, ICheckObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var results = new PathCheckResult[targets.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, targets.Count), parallel, async (index, token) =>
        {
            observer?.PathStarted(targets[index]);
            var result = await CheckOneAsync(targets[index], observer, token).ConfigureAwait(false);
            results[index] = result;
            observer?.PathCompleted(result);
        }).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// The closure of <paramref name="roots"/>: breadth first through each narinfo's References, roots first, every
    /// path once. Each target carries its narinfo fetch; a path whose narinfo failed stays in (it is broken) but
    /// contributes no references. <paramref name="storeDir"/> (from nix-cache-info) turns reference names into paths.
    /// </summary>
    public async Task<IReadOnlyList<CheckTarget>> WalkClosureAsync(IEnumerable<CheckTarget> roots, string storeDir, ICheckObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var closure = new List<CheckTarget>();
        var frontier = StoreInputs.Distinct(roots);
        var seen = new HashSet<string>(frontier.Select(t => t.StoreHash), StringComparer.Ordinal);
        var fetched = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };
        // Level by level keeps the order stable (the same closure prints the same way every run) at the cost of
        // waiting for the slowest narinfo of each level; closures are wide rather than deep, so that is cheap.
        while (frontier.Count > 0)
        {
            var level = new CheckTarget[frontier.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, frontier.Count), parallel, async (index, token) =>
            {
                var target = frontier[index];
                var fetch = target.NarInfo ?? await _upstream.FetchNarInfoAsync(target.StoreHash, null, token).ConfigureAwait(false);
                level[index] = target with { NarInfo = fetch, StorePath = fetch.Info?.StorePath ?? target.StorePath };
                observer?.NarInfoWalked(Interlocked.Increment(ref fetched), seen.Count);
            }).ConfigureAwait(false);

            var next = new List<CheckTarget>();
            foreach (var target in level)
            {
                closure.Add(target);
                foreach (var reference in target.NarInfo?.Info?.References ?? [])
                {
                    if (StoreHash.FromStorePath("/" + reference) is { } hash && seen.Add(hash))
                    {
                        next.Add(new CheckTarget(hash, storeDir.TrimEnd('/') + "/" + reference));
                    }
                }
            }
            frontier = next;
        }
        return closure;
    }

    private async Task<PathCheckResult> CheckOneAsync(CheckTarget target, ICheckObserver? observer, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var fetch = target.NarInfo ?? await _upstream.FetchNarInfoAsync(target.StoreHash, null, cancellationToken).ConfigureAwait(false);
        if (fetch.Info is not { } info)
        {
            return Result(target, null, fetch.Reason ?? RejectReason.NarInfoInvalid, _time.GetElapsedTime(started), fetch.Status, detail: fetch.Detail);
        }
        if (info.Compression == NarCompression.Unsupported)
        {
            return Result(target, info, RejectReason.UnsupportedCompression, TimeSpan.Zero, null, detail: $"compression '{info.CompressionName}' cannot be verified");
        }
        if (!_upstream.Endpoint.TryResolveNarUrl(info.Url, out var uri))
        {
            return Result(target, info, RejectReason.RedirectDenied, TimeSpan.Zero, null, detail: "narinfo URL points outside the upstream");
        }

        // The clock restarts here: seconds and throughput describe the NAR transfer, not the narinfo round trip.
        started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(_timeouts.Nar, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        int? status = null;
        var redirects = 0;
        try
        {
            using var download = await _upstream.OpenNarAsync(uri, null, linked.Token).ConfigureAwait(false);
            status = download.Status;
            redirects = download.Redirects;
            if (download.Response is not { } response)
            {
                return Result(target, info, download.Reason!.Value, _time.GetElapsedTime(started), status, redirects: redirects, detail: download.Detail);
            }

            VerificationResult verdict;
            var body = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (var counted = observer is null ? body : new CountingStream(body, observer))
            await using (var guarded = new StallGuardStream(counted, _timeouts.Stall, _time))
            {
                // copyTo: null. A check keeps nothing; the bytes are hashed and dropped.
                verdict = await NarVerifier.VerifyAsync(guarded, NarExpectation.From(info), null, linked.Token).ConfigureAwait(false);
            }
            return Result(target, info, verdict.Reason, _time.GetElapsedTime(started), status, verdict.CompressedBytes, verdict.NarBytes, redirects, verdict.Detail);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Result(target, info, RejectReason.Timeout, _time.GetElapsedTime(started), status, redirects: redirects,
                detail: $"not verified within {_timeouts.Nar.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // Only reachable before the first body read (the verifier turns body failures into values).
            return Result(target, info, RejectReason.UpstreamError, _time.GetElapsedTime(started), status, redirects: redirects, detail: ex.GetType().Name);
        }
    }

    // The proxy's rule (CacheGuard): a relative URL resolves against the cache; an absolute one only to an allowed host.
    private PathCheckResult Result(CheckTarget target, NarInfo? info, RejectReason? reason, TimeSpan elapsed, int? status,
        long bytes = 0, long narBytes = 0, int redirects = 0, string? detail = null) =>
        new(target.StoreHash, info?.StorePath ?? target.StorePath, reason, info?.NarSize, bytes, narBytes, elapsed, status, redirects,
            reason is null ? null : Redaction.Clean(detail, _secret));
}
