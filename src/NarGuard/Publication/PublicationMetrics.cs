using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NarGuard.Telemetry;

namespace NarGuard.Publication;

/// <summary>
/// The publication instruments, on NarGuard's one Meter. The counters the dashboard and alerts read are observable
/// over fixed label sets, so every series exports 0 from the first scrape (an alert on a rate then has data on a
/// fresh instance). Labels are bounded: results and storage states, never store paths.
/// </summary>
public sealed class PublicationMetrics
{
    public const string PushUploaded = "uploaded";
    public const string PushDeduplicated = "deduplicated";
    public const string PushRefused = "refused";
    public const string PushUpstreamError = "upstream_error";
    public const string PushRejected = "rejected";
    public const string PushError = "error";
    public const string ReadBackOk = "ok";
    public const string ReadBackFailed = "failed";
    public const string ReadBackUnverifiable = "unverifiable";

    private readonly ConcurrentDictionary<string, long> _pushes = Seed(PushUploaded, PushDeduplicated, PushRefused, PushUpstreamError, PushRejected, PushError);
    private readonly ConcurrentDictionary<string, long> _readBacks = Seed(ReadBackOk, ReadBackFailed, ReadBackUnverifiable);
    private readonly Counter<long> _pushStorage;
    private long _dropped;

    public PublicationMetrics(NarGuardTelemetry telemetry, ReadBackQueue queue, PublicationHolds holds)
    {
        var meter = telemetry.Meter;
        meter.CreateObservableCounter("narguard.publication.pushes", () => Measure(_pushes), "{push}",
            "upload-path requests through the proxy, by result (uploaded, deduplicated, refused, upstream_error, rejected, error).");
        _pushStorage = meter.CreateCounter<long>("narguard.publication.push.storage", "{push}",
            "upload-path requests by result and by the storage probe's state before and after the push (ok, failed, unknown, not_configured).");
        meter.CreateObservableCounter("narguard.publication.read_backs", () => Measure(_readBacks), "{path}",
            "Read-backs of pushed paths through the verifier, by result (ok, failed, unverifiable).");
        meter.CreateObservableCounter("narguard.publication.read_back.dropped", () => Interlocked.Read(ref _dropped), "{path}",
            "Pushed paths not read back because the read-back queue was full.");
        meter.CreateObservableUpDownCounter("narguard.publication.read_back.queue", () => (long)queue.Count, "{path}",
            "Pushed paths waiting for their read-back.");
        meter.CreateObservableUpDownCounter("narguard.publication.holds", () => (long)holds.Count, "{path}",
            "Pushed paths held (narinfo and NAR answer 404) because their read-back failed.");
    }

    public void Push(string result, StorageSnapshot before, StorageSnapshot after)
    {
        _pushes.AddOrUpdate(result, 1, (_, n) => n + 1);
        _pushStorage.Add(1,
            new KeyValuePair<string, object?>("narguard.result", result),
            new KeyValuePair<string, object?>("narguard.storage.before", before.State),
            new KeyValuePair<string, object?>("narguard.storage.after", after.State));
    }

    public void ReadBack(string result) => _readBacks.AddOrUpdate(result, 1, (_, n) => n + 1);

    public void Dropped() => Interlocked.Increment(ref _dropped);

    private static ConcurrentDictionary<string, long> Seed(params string[] labels) =>
        new(labels.Select(l => new KeyValuePair<string, long>(l, 0)), StringComparer.Ordinal);

    private static IEnumerable<Measurement<long>> Measure(ConcurrentDictionary<string, long> counts) =>
        counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("narguard.result", c.Key)));
}
