using System.Collections.Concurrent;
using NarGuard.Core.Verification;

namespace NarGuard.Core.Concurrency;

/// <summary>
/// Remembers, for a short time, the NARs whose last fetch failed, so that a client retrying (Nix retries, and
/// follows a cut stream with a Range request) gets an immediate 404 instead of hammering a broken upstream.
/// </summary>
public sealed class Quarantine
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public Quarantine(TimeSpan ttl, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.Zero);
        Ttl = ttl;
        _time = timeProvider ?? TimeProvider.System;
    }

    public TimeSpan Ttl { get; }

    /// <summary>Entries not yet expired (expired ones are dropped as they are looked at or added).</summary>
    public int Count
    {
        get
        {
            Sweep();
            return _entries.Count;
        }
    }

    public void Add(string key, RejectReason reason)
    {
        if (Ttl == TimeSpan.Zero)
        {
            return;
        }
        _entries[key] = new Entry(reason, _time.GetUtcNow() + Ttl);
        if (_entries.Count > 1024)
        {
            Sweep();
        }
    }

    public bool TryGet(string key, out RejectReason reason)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.Expires > _time.GetUtcNow())
            {
                reason = entry.Reason;
                return true;
            }
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }
        reason = default;
        return false;
    }

    public void Remove(string key) => _entries.TryRemove(key, out _);

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var pair in _entries)
        {
            if (pair.Value.Expires <= now)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private readonly record struct Entry(RejectReason Reason, DateTimeOffset Expires);
}
