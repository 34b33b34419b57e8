using System.Diagnostics;
using System.Diagnostics.Metrics;
using NarGuard.Core.Verification;

namespace NarGuard.Telemetry;

/// <summary>
/// The one Meter and one ActivitySource of NarGuard. Labels are bounded: route templates, outcomes and reasons,
/// never store hashes or URLs (those go to span attributes and logs).
/// </summary>
public sealed class NarGuardTelemetry : IDisposable
{
    public const string Name = "NarGuard";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _verified;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _bytesReceived;
    private readonly Counter<long> _bytesServed;
    private readonly Histogram<double> _verifyDuration;
    private readonly Counter<long> _spoolHits;
    private readonly Counter<long> _spoolMisses;

    public NarGuardTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _requests = _meter.CreateCounter<long>("narguard.requests", "{request}", "Requests answered by the guards, by route and outcome.");
        _verified = _meter.CreateCounter<long>("narguard.nar.verified", "{nar}", "NAR bodies that passed verification.");
        _rejections = _meter.CreateCounter<long>("narguard.nar.rejections", "{nar}", "NAR requests answered 404 because the body could not be served intact, by reason.");
        _bytesReceived = _meter.CreateCounter<long>("narguard.nar.received", "By", "Compressed NAR bytes received from the upstream.");
        _bytesServed = _meter.CreateCounter<long>("narguard.nar.served", "By", "Verified NAR bytes sent to clients.");
        _verifyDuration = _meter.CreateHistogram<double>("narguard.nar.verification.duration", "s", "Time to fetch, decompress and hash one NAR.");
        _spoolHits = _meter.CreateCounter<long>("narguard.spool.hits", "{nar}", "NAR requests served from the verified spool.");
        _spoolMisses = _meter.CreateCounter<long>("narguard.spool.misses", "{nar}", "NAR requests that needed an upstream fetch.");
    }

    public Meter Meter => _meter;

    public void Request(string route, string outcome) =>
        _requests.Add(1, new KeyValuePair<string, object?>("narguard.route", route), new KeyValuePair<string, object?>("narguard.outcome", outcome));

    public void Verified(long compressedBytes, TimeSpan duration)
    {
        _verified.Add(1);
        _bytesReceived.Add(compressedBytes);
        _verifyDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("narguard.result", "verified"));
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

    public void Served(long bytes) => _bytesServed.Add(bytes);
    public void SpoolHit() => _spoolHits.Add(1);
    public void SpoolMiss() => _spoolMisses.Add(1);

    public void Dispose() => _meter.Dispose();
}
