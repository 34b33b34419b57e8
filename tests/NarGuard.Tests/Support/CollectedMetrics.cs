using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace NarGuard.Tests.Support;

/// <summary>
/// Listens to one Meter instance. Counters are summed by name and by name+tag; observable instruments are read
/// on demand (their values are already cumulative, so each read replaces the last).
/// </summary>
public sealed class CollectedMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();
    private readonly ConcurrentDictionary<string, long> _observed = new();
    private readonly object _observeLock = new();

    public CollectedMetrics(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var target = instrument.IsObservable ? _observed : _sums;
        target.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        foreach (var tag in tags)
        {
            target.AddOrUpdate($"{instrument.Name}{{{tag.Key}={tag.Value}}}", value, (_, sum) => sum + value);
        }
    }

    /// <summary>Sum of <paramref name="name"/>, optionally only measurements tagged <paramref name="tag"/>=<paramref name="value"/>.</summary>
    public long Sum(string name, string? tag = null, string? value = null)
    {
        var key = tag is null ? name : $"{name}{{{tag}={value}}}";
        lock (_observeLock)
        {
            _observed.Clear();
            _listener.RecordObservableInstruments();
            if (_observed.TryGetValue(key, out var observed))
            {
                return observed;
            }
        }
        return _sums.TryGetValue(key, out var sum) ? sum : 0;
    }

    public void Dispose() => _listener.Dispose();
}
