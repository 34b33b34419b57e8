using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace AtticEmulator;

/// <summary>The emulator's state: objects by store hash, their faults, request counts. Safe
/// for concurrent use by request handlers and by the test that drives the emulator.</summary>
internal sealed class ObjectCatalog(EmulatorOptions options)
{
    private readonly ConcurrentDictionary<string, StoreObject> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<byte[]>> _corruptBodies = new(StringComparer.Ordinal);

    public RequestCounter NarInfoRequests { get; } = new();

    public RequestCounter NarRequests { get; } = new();

    public RequestCounter StorageRequests { get; } = new();

    /// <summary><c>upload-path</c> requests per store hash, whatever their outcome.</summary>
    public RequestCounter UploadRequests { get; } = new();

    /// <summary>Adds an object built by an upload (its body already compressed, maybe in S3).</summary>
    public void AddUploaded(StoreObject obj)
    {
        _objects[obj.StoreHash] = obj;
        _corruptBodies.TryRemove(obj.StoreHash, out _);
    }

    /// <summary>Any object with this NAR hash (hex): Attic's global NAR store, which deduplicates uploads.</summary>
    public StoreObject? FindByNarHash(string narHashHex) =>
        _objects.Values.FirstOrDefault(o => string.Equals(o.NarHashHex, narHashHex, StringComparison.Ordinal));

    public StoreObject Add(string storePath, byte[] nar, IEnumerable<string>? references, string? deriver, IEnumerable<string>? signatures)
    {
        var storeHash = StoreHashOf(storePath);
        var (body, chunkLengths) = ChunkedCompressor.Compress(nar, options.Compression, options.ChunkSize);
        var obj = new StoreObject(
            storePath,
            storeHash,
            nar,
            Convert.ToHexStringLower(SHA256.HashData(nar)),
            body,
            (references ?? []).Select(BaseName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            deriver is null ? null : BaseName(deriver),
            (signatures ?? []).ToArray())
        {
            ChunkLengths = chunkLengths,
        };
        _objects[storeHash] = obj;
        _corruptBodies.TryRemove(storeHash, out _);
        return obj;
    }

    public bool TryGet(string storeHash, out StoreObject obj) => _objects.TryGetValue(storeHash, out obj!);

    public Fault FaultOf(string storeHash) => _faults.GetValueOrDefault(storeHash, Fault.Healthy);

    public void SetFault(string storeHash, Fault fault)
    {
        if (!Nix32.IsStoreHash(storeHash))
        {
            throw new ArgumentException($"not a store hash: '{storeHash}'", nameof(storeHash));
        }

        if (fault == Fault.Healthy)
        {
            _faults.TryRemove(storeHash, out _);
        }
        else
        {
            _faults[storeHash] = fault;
        }
    }

    public IReadOnlyDictionary<string, Fault> Faults => _faults;

    /// <summary>The compressed body of <see cref="Fault.Corrupt"/>, made once per object.</summary>
    public byte[] CorruptBody(StoreObject obj) =>
        _corruptBodies.GetOrAdd(
            obj.StoreHash,
            _ => new Lazy<byte[]>(() => ChunkedCompressor.Compress(NarCorrupter.Corrupt(obj.Nar), options.Compression, options.ChunkSize).Body))
        .Value;

    /// <summary>The body of <see cref="Fault.Garbage"/>: random bytes as long as the real body,
    /// the same on every request and every run (seeded by the store hash) so that retries see the same bytes.</summary>
    public static byte[] GarbageBody(StoreObject obj)
    {
        var garbage = new byte[Math.Max(obj.Body.Length, 64)];
        // string.GetHashCode is randomized per process; a digest keeps runs reproducible.
        var seed = BitConverter.ToInt32(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(obj.StoreHash)));
        new Random(seed).NextBytes(garbage);
        return garbage;
    }

    /// <summary>The hash part of a store path (full path or base name).</summary>
    public static string StoreHashOf(string storePathOrBaseName)
    {
        var hash = BaseName(storePathOrBaseName).Split('-', 2)[0];
        return Nix32.IsStoreHash(hash)
            ? hash
            : throw new ArgumentException($"not a store path: '{storePathOrBaseName}'", nameof(storePathOrBaseName));
    }

    private static string BaseName(string storePathOrBaseName)
    {
        const string storeDir = "/nix/store/";
        return storePathOrBaseName.StartsWith(storeDir, StringComparison.Ordinal)
            ? storePathOrBaseName[storeDir.Length..]
            : storePathOrBaseName;
    }
}
