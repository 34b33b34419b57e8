using Microsoft.Extensions.Caching.Memory;
using NarGuard.Configuration;
using NarGuard.Core.NarInfos;

namespace NarGuard.Guards;

/// <summary>
/// Upstream narinfos fetched in the last <see cref="NarInfoCacheOptions.Ttl"/>, so the NAR request that follows a
/// narinfo request (and a herd of builders asking for the same path) does not ask the upstream again.
/// Only successful answers are kept; failures are retried on the next request.
/// </summary>
public sealed class NarInfoCache : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly TimeSpan _ttl;

    public NarInfoCache(NarInfoCacheOptions options, TimeProvider timeProvider)
    {
        _ttl = options.Ttl;
        if (_ttl > TimeSpan.Zero)
        {
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MaxEntries, Clock = new TimeProviderClock(timeProvider) });
        }
    }

    public NarInfo? Get(string storeHash) => _cache?.Get<NarInfo>(storeHash);

    public void Set(string storeHash, NarInfo info) =>
        _cache?.Set(storeHash, info, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });

    public void Remove(string storeHash) => _cache?.Remove(storeHash);

    public void Dispose() => _cache?.Dispose();

#pragma warning disable CS0618 // ISystemClock is what MemoryCacheOptions.Clock takes.
    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618
}
