using System.Collections.Concurrent;

namespace AtticEmulator;

/// <summary>Counts requests per store hash, including hashes the emulator does not hold.</summary>
internal sealed class RequestCounter
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public void Hit(string storeHash) => _counts.AddOrUpdate(storeHash, 1, (_, n) => n + 1);

    public int Of(string storeHash) => _counts.GetValueOrDefault(storeHash);

    public IReadOnlyDictionary<string, int> Snapshot() => new Dictionary<string, int>(_counts, StringComparer.Ordinal);
}
