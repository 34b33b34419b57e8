using System.Collections.Concurrent;

namespace NarGuard.Publication;

/// <summary>
/// Pushed paths whose read-back failed. Unlike the quarantine (a minute, for one failed fetch) a hold lasts until a
/// read-back verifies the path, bounded by Publication:HoldTtl and Publication:HoldMaxEntries: a path Attic accepted
/// but cannot serve stays a 404 for as long as that is true, so Nix keeps building it instead of failing on it.
/// A request for a held path asks for a new read-back (at most every Publication:HoldRecheckInterval).
/// </summary>
public sealed class PublicationHolds
{
    private readonly ConcurrentDictionary<string, PublicationHold> _holds = new(StringComparer.Ordinal);
    private readonly PublicationOptions _options;
    private readonly TimeProvider _time;

    public PublicationHolds(PublicationOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Raised (outside any lock) when a held path is asked for and its last read-back is older than the recheck interval.</summary>
    public event Action<PublicationHold>? RecheckDue;

    /// <summary>Holds not yet expired.</summary>
    public int Count
    {
        get
        {
            Sweep();
            return _holds.Count;
        }
    }

    /// <summary>Holds <paramref name="storeHash"/>; returns the hold dropped to stay within HoldMaxEntries, if any.</summary>
    public PublicationHold? Hold(string storeHash, string? storePath, string reason)
    {
        var now = _time.GetUtcNow();
        _holds[storeHash] = new PublicationHold(storeHash, storePath, reason, now, now + _options.HoldTtl, now);
        if (_holds.Count <= _options.HoldMaxEntries)
        {
            return null;
        }
        Sweep();
        var oldest = _holds.Values.Where(h => h.StoreHash != storeHash).MinBy(h => h.Since);
        return oldest is not null && _holds.TryRemove(new KeyValuePair<string, PublicationHold>(oldest.StoreHash, oldest)) ? oldest : null;
    }

    /// <summary>Lifts the hold; true when there was one.</summary>
    public bool Release(string storeHash) => _holds.TryRemove(storeHash, out _);

    /// <summary>True while <paramref name="storeHash"/> is held; may ask for a recheck (see <see cref="RecheckDue"/>).</summary>
    public bool TryGet(string storeHash, out PublicationHold hold)
    {
        if (!_holds.TryGetValue(storeHash, out hold!))
        {
            return false;
        }
        var now = _time.GetUtcNow();
        if (hold.Expires <= now)
        {
            _holds.TryRemove(new KeyValuePair<string, PublicationHold>(storeHash, hold));
            return false;
        }
        if (now - hold.LastCheck >= _options.HoldRecheckInterval && _holds.TryUpdate(storeHash, hold with { LastCheck = now }, hold))
        {
            RecheckDue?.Invoke(hold);
        }
        return true;
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var pair in _holds)
        {
            if (pair.Value.Expires <= now)
            {
                _holds.TryRemove(pair);
            }
        }
    }
}
