using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace NarGuard.Tests.Support;

/// <summary>Listens to one Meter instance and sums every long counter by name and tag set.</summary>
public sealed class CollectedMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public CollectedMetrics(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
            foreach (var tag in tags)
            {
                _sums.AddOrUpdate($"{instrument.Name}{{{tag.Key}={tag.Value}}}", value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    /// <summary>Sum of <paramref name="name"/>, optionally only measurements tagged <paramref name="tag"/>=<paramref name="value"/>.</summary>
    public long Sum(string name, string? tag = null, string? value = null) =>
        _sums.TryGetValue(tag is null ? name : $"{name}{{{tag}={value}}}", out var sum) ? sum : 0;

    public void Dispose() => _listener.Dispose();
}
