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
        _meter.CreateObservableCounter("narguard.nar.verified", () => Interlocked.Read(ref _verified), "{nar}", "NAR bodies fetched from the upstream that passed verification.");
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

    public void Verified(long compressedBytes, long narBytes, TimeSpan duration)
    {
        Interlocked.Increment(ref _verified);
        _bytesReceived.Add(compressedBytes);
        _verifyDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("narguard.result", "verified"));
        if (duration > TimeSpan.Zero)
        {
            _verifyThroughput.Record(narBytes / duration.TotalSeconds);
        }
    }

    public void Rejected(RejectReason reason, long compressedBytes, TimeSpan? duration)
    {
        _rejections.Add(1, new KeyValuePair<string, object?>("narguard.reason", reason.Label()));
        if (compressedBytes > 0)
        {
            _bytesReceived.Add(compressedBytes);
        }
        if (duration is { } d)
        {
            _verifyDuration.Record(d.TotalSeconds, new KeyValuePair<string, object?>("narguard.result", "rejected"));
        }
    }

    public void Served(long bytes, bool fromSpool) =>
        _bytesServed.Add(bytes, new KeyValuePair<string, object?>("narguard.source", fromSpool ? "spool" : "upstream"));

    public void SpoolHit() => Interlocked.Increment(ref _spoolHits);
    public void SpoolMiss() => Interlocked.Increment(ref _spoolMisses);

    /// <summary>Records one upstream round trip; <paramref name="status"/> is the HTTP status, or null when none arrived (<paramref name="error"/> says why).</summary>
    public void UpstreamResponse(string operation, int? status, string? error, TimeSpan elapsed) =>
        _upstreamDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("narguard.upstream.operation", operation),
            new KeyValuePair<string, object?>("http.response.status_code", status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? error ?? "error"));

    public void Dispose() => _meter.Dispose();
}
