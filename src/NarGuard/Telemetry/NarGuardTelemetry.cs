using System.Diagnostics;
using System.Diagnostics.Metrics;
using NarGuard.Core.Concurrency;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;

namespace NarGuard.Telemetry;

/// <summary>
/// The one Meter and one ActivitySource of NarGuard. Names and units follow OpenTelemetry's conventions
/// (dot-separated, UCUM units, seconds for durations; the Prometheus exporter adds _total/_bytes/_seconds).
/// Labels are bounded: routes, outcomes, reasons, status codes; never store hashes or URLs (those go to
/// span attributes and logs).
/// </summary>
public sealed class NarGuardTelemetry : IDisposable
{
    public const string Name = "NarGuard";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    // Observable counters over plain fields: they export 0 from the first scrape, so rate() and alerts see a
    // value on a fresh instance instead of "no data".
    private long _verified;
    // Per upstream (configured names only, so the label stays bounded); seeded so every upstream exports 0 at once.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long[]> _verifiedByUpstream = new(StringComparer.Ordinal);
    private readonly Counter<long> _verifiedBytes;
    private readonly Counter<long> _failovers;
    private long _spoolHits;
    private long _spoolMisses;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _bytesReceived;
    private readonly Counter<long> _bytesServed;
    private readonly Histogram<double> _verifyDuration;
    private readonly Histogram<double> _verifyThroughput;
    private readonly Histogram<double> _upstreamDuration;

    public NarGuardTelemetry(IMeterFactory meterFactory, NarSpool spool, Quarantine quarantine)
    {
        _meter = meterFactory.Create(Name);
        _requests = _meter.CreateCounter<long>("narguard.requests", "{request}", "Requests answered, by route (narinfo, nar, passthrough, invalid) and outcome.");
        _meter.CreateObservableCounter("narguard.nar.verified", VerifiedMeasurements, "{nar}", "NAR bodies fetched from an upstream that passed verification, by upstream (narguard.upstream).");
        _verifiedBytes = _meter.CreateCounter<long>("narguard.upstream.verified", "By", "Compressed NAR bytes that passed verification, by the upstream that supplied them.");
        _failovers = _meter.CreateCounter<long>("narguard.upstream.failovers", "{failover}", "NAR failovers: the client's upstream (narguard.upstream.from) failed, another (narguard.upstream.to) was tried, with the outcome (served, served_transcoded, rejected, nar_hash_differs, compression_differs, no_narinfo, quarantined, range_unprovable).");
        _rejections = _meter.CreateCounter<long>("narguard.nar.rejections", "{nar}", "NARs not served (404), by reason: once per upstream fetch however many requests shared it, and once per request refused before any fetch (quarantined, circuit_open, ...).");
        _bytesReceived = _meter.CreateCounter<long>("narguard.nar.received", "By", "Compressed NAR bytes received from the upstream (verified or not).");
        _bytesServed = _meter.CreateCounter<long>("narguard.nar.served", "By", "Verified NAR bytes sent to clients, by source (upstream, spool).");
        _verifyDuration = _meter.CreateHistogram<double>("narguard.nar.verification.duration", "s", "Time to fetch, decompress, hash and spool one NAR, by result.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 240] });
        _verifyThroughput = _meter.CreateHistogram<double>("narguard.nar.verification.throughput", "By/s", "NAR bytes (uncompressed) verified per second, per NAR.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e5, 1e6, 1e7, 5e7, 1e8, 2.5e8, 5e8, 1e9, 2e9] });
        _meter.CreateObservableCounter("narguard.spool.hits", () => Interlocked.Read(ref _spoolHits), "{nar}", "NAR requests served from the verified spool.");
        _meter.CreateObservableCounter("narguard.spool.misses", () => Interlocked.Read(ref _spoolMisses), "{nar}", "NAR requests that needed an upstream fetch.");
        _meter.CreateObservableCounter("narguard.spool.evictions", () => spool.Evictions, "{nar}", "NARs evicted from the spool to stay under Spool:MaxBytes.");
        _meter.CreateObservableUpDownCounter("narguard.spool.size", () => spool.SizeBytes, "By", "Bytes of verified NARs in the spool.");
        _meter.CreateObservableUpDownCounter("narguard.spool.entries", () => (long)spool.Count, "{nar}", "Verified NARs in the spool.");
        _meter.CreateObservableUpDownCounter("narguard.quarantine.size", () => (long)quarantine.Count, "{nar}", "NARs quarantined after a failed fetch (answer 404 until the TTL passes).");
        _upstreamDuration = _meter.CreateHistogram<double>("narguard.upstream.request.duration", "s", "Time to the upstream's response headers, by operation and HTTP status (or error kind).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public Meter Meter => _meter;

    public void Request(string route, string outcome) =>
        _requests.Add(1, new KeyValuePair<string, object?>("narguard.route", route), new KeyValuePair<string, object?>("narguard.outcome", outcome));

    /// <summary>Seeds the per-upstream series so that each configured upstream exports 0 before its first NAR.</summary>
    public void RegisterUpstreams(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            _verifiedByUpstream.TryAdd(name, new long[1]);
        }
    }

    public void Verified(long compressedBytes, long narBytes, TimeSpan duration, string upstream)
    {
        Interlocked.Increment(ref _verified);
        Interlocked.Increment(ref _verifiedByUpstream.GetOrAdd(upstream, static _ => new long[1])[0]);
        _bytesReceived.Add(compressedBytes, Upstream(upstream));
        _verifiedBytes.Add(compressedBytes, Upstream(upstream));
        _verifyDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("narguard.result", "verified"));
        if (duration > TimeSpan.Zero)
        {
            _verifyThroughput.Record(narBytes / duration.TotalSeconds);
        }
    }

    /// <param name="upstream">The upstream whose answer was rejected; null when none was asked (unknown upstream name).</param>
    public void Rejected(RejectReason reason, long compressedBytes, TimeSpan? duration, string? upstream)
    {
        _rejections.Add(1, new KeyValuePair<string, object?>("narguard.reason", reason.Label()), Upstream(upstream ?? "none"));
        if (compressedBytes > 0)
        {
            _bytesReceived.Add(compressedBytes, Upstream(upstream ?? "none"));
        }
        if (duration is { } d)
        {
            _verifyDuration.Record(d.TotalSeconds, new KeyValuePair<string, object?>("narguard.result", "rejected"));
        }
    }

    /// <param name="upstream">The upstream that supplied the verified bytes (for a spool hit: the one they came from); null when unknown.</param>
    public void Served(long bytes, bool fromSpool, string? upstream) =>
        _bytesServed.Add(bytes, new KeyValuePair<string, object?>("narguard.source", fromSpool ? "spool" : "upstream"), Upstream(upstream ?? "none"));

    /// <summary>One failover step for a NAR: <paramref name="from"/> (the client's upstream) failed, <paramref name="to"/> was considered.</summary>
    public void Failover(string from, string to, string outcome) =>
        _failovers.Add(1, new KeyValuePair<string, object?>("narguard.upstream.from", from), new KeyValuePair<string, object?>("narguard.upstream.to", to),
            new KeyValuePair<string, object?>("narguard.outcome", outcome));

    public void SpoolHit() => Interlocked.Increment(ref _spoolHits);
    public void SpoolMiss() => Interlocked.Increment(ref _spoolMisses);

    /// <summary>Records one upstream round trip; <paramref name="status"/> is the HTTP status, or null when none arrived (<paramref name="error"/> says why).</summary>
    public void UpstreamResponse(string upstream, string operation, int? status, string? error, TimeSpan elapsed) =>
        _upstreamDuration.Record(elapsed.TotalSeconds, Upstream(upstream),
            new KeyValuePair<string, object?>("narguard.upstream.operation", operation),
            new KeyValuePair<string, object?>("http.response.status_code", status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? error ?? "error"));

    private IEnumerable<Measurement<long>> VerifiedMeasurements()
    {
        if (_verifiedByUpstream.IsEmpty)
        {
            yield return new Measurement<long>(Interlocked.Read(ref _verified));
            yield break;
        }
        foreach (var (name, count) in _verifiedByUpstream)
        {
            yield return new Measurement<long>(Interlocked.Read(ref count[0]), Upstream(name));
        }
    }

    private static KeyValuePair<string, object?> Upstream(string name) => new("narguard.upstream", name);

    public void Dispose() => _meter.Dispose();
}
