using System.Collections.Concurrent;

namespace NarGuard.Soak;

/// <summary>What the clients saw, counted without locks; violations keep their first few descriptions.</summary>
internal sealed class SoakTally
{
    private long _requests;
    private long _narOk;
    private long _narInfoOk;
    private long _narInfoNotFound;
    private long _bytesVerified;
    private long _maxLatencyMs;
    private long _aborted;
    private readonly ConcurrentDictionary<string, long> _narNotFoundByReason = new();
    private readonly ConcurrentDictionary<string, long> _violations = new();
    private readonly ConcurrentQueue<string> _examples = new();

    public long Requests => Interlocked.Read(ref _requests);
    public long NarOk => Interlocked.Read(ref _narOk);
    public long NarInfoOk => Interlocked.Read(ref _narInfoOk);
    public long NarInfoNotFound => Interlocked.Read(ref _narInfoNotFound);
    public long BytesVerified => Interlocked.Read(ref _bytesVerified);
    public long MaxLatencyMs => Interlocked.Read(ref _maxLatencyMs);
    public long Aborted200 => Interlocked.Read(ref _aborted);
    public void Aborted() => Interlocked.Increment(ref _aborted);
    public IReadOnlyDictionary<string, long> NarNotFoundByReason => _narNotFoundByReason;
    public long NarNotFound => _narNotFoundByReason.Values.Sum();
    public IReadOnlyDictionary<string, long> Violations => _violations;
    public IEnumerable<string> Examples => _examples;

    public void Request(TimeSpan latency)
    {
        Interlocked.Increment(ref _requests);
        var ms = (long)latency.TotalMilliseconds;
        long seen;
        while (ms > (seen = Interlocked.Read(ref _maxLatencyMs)) && Interlocked.CompareExchange(ref _maxLatencyMs, ms, seen) != seen)
        {
        }
    }

    public void NarVerified(long bytes)
    {
        Interlocked.Increment(ref _narOk);
        Interlocked.Add(ref _bytesVerified, bytes);
    }

    public void NarNotFoundWith(string reason) => _narNotFoundByReason.AddOrUpdate(reason, 1, (_, n) => n + 1);
    public void NarInfoAnswered(bool ok) => Interlocked.Increment(ref ok ? ref _narInfoOk : ref _narInfoNotFound);

    public void Violation(string kind, string example)
    {
        _violations.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if (_examples.Count < 20)
        {
            _examples.Enqueue($"{kind}: {example}");
        }
    }
}
