namespace NarGuard.Core.Spool;

/// <summary>
/// The verified spool: a directory of NAR bodies that passed verification, each beside the narinfo it was checked
/// against, bounded in bytes with least-recently-used eviction. Doubles as a local cache for the next builder and
/// as the source of answers while the upstream is down.
/// </summary>
/// <remarks>
/// Crash safety: a body is written to tmp/, fsynced and renamed into nar/; the narinfo is written the same way
/// after it. At start, tmp/ is emptied, and a body without its narinfo (a crash between the two renames) or a
/// narinfo without its body is deleted. So a file in nar/ with a narinfo beside it was always verified whole.
/// </remarks>
public sealed class NarSpool
{
    private const string NarDir = "nar";
    private const string NarInfoDir = "narinfo";
    private const string TempDir = "tmp";

    private readonly object _lock = new();
    private readonly Dictionary<string, LinkedListNode<SpoolEntry>> _byStoreHash = new(StringComparer.Ordinal);
    // Most recently used first.
    private readonly LinkedList<SpoolEntry> _lru = new();
    private long _sizeBytes;
    private long _evictions;

    public NarSpool(string root, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        Root = Path.GetFullPath(root);
        MaxBytes = maxBytes;
    }

    public string Root { get; }
    public long MaxBytes { get; }

    public long SizeBytes
    {
        get { lock (_lock) { return _sizeBytes; } }
    }

    public int Count
    {
        get { lock (_lock) { return _byStoreHash.Count; } }
    }

    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Raised (outside the lock) for each entry evicted to stay under <see cref="MaxBytes"/>.</summary>
    public event Action<SpoolEntry>? Evicted;

    /// <summary>Creates the directories, removes temp leftovers and orphans, and loads the index (oldest write first evicted).</summary>
    /// <returns>How many temp files and orphans were removed.</returns>
    public int Initialize()
    {
        Directory.CreateDirectory(Path.Combine(Root, NarDir));
        Directory.CreateDirectory(Path.Combine(Root, NarInfoDir));
        Directory.CreateDirectory(Path.Combine(Root, TempDir));
        var removed = 0;
        foreach (var temp in Directory.EnumerateFiles(Path.Combine(Root, TempDir)))
        {
            File.Delete(temp);
            removed++;
        }

        var found = new List<(SpoolEntry Entry, DateTime LastUse)>();
        var narInfosWithBody = new HashSet<string>(StringComparer.Ordinal);
        foreach (var narPath in Directory.EnumerateFiles(Path.Combine(Root, NarDir)))
        {
            var name = Path.GetFileName(narPath);
            if (!TryParseNarFileName(name, out var storeHash, out var narHash) || narInfosWithBody.Contains(storeHash))
            {
                File.Delete(narPath);
                removed++;
                continue;
            }
            var narInfoPath = NarInfoPathFor(storeHash);
            if (!File.Exists(narInfoPath))
            {
                File.Delete(narPath);
                removed++;
                continue;
            }
            narInfosWithBody.Add(storeHash);
            var info = new FileInfo(narPath);
            found.Add((new SpoolEntry(storeHash, narHash, narPath, narInfoPath, info.Length), info.LastWriteTimeUtc));
        }
        foreach (var narInfoPath in Directory.EnumerateFiles(Path.Combine(Root, NarInfoDir)))
        {
            if (!narInfosWithBody.Contains(Path.GetFileNameWithoutExtension(narInfoPath)))
            {
                File.Delete(narInfoPath);
                removed++;
            }
        }

        found.Sort((a, b) => b.LastUse.CompareTo(a.LastUse));
        lock (_lock)
        {
            _byStoreHash.Clear();
            _lru.Clear();
            _sizeBytes = 0;
            foreach (var (entry, _) in found)
            {
                _byStoreHash[entry.StoreHash] = _lru.AddLast(entry);
                _sizeBytes += entry.Length;
            }
        }
        EvictOverflow(keep: null);
        return removed;
    }

    /// <summary>The entry for this store path verified against exactly this NarHash, marked as just used.</summary>
    public SpoolEntry? TryGet(string storeHash, string narHashNix32)
    {
        var entry = TryGetAny(storeHash);
        return entry is not null && string.Equals(entry.NarHashNix32, narHashNix32, StringComparison.Ordinal) ? entry : null;
    }

    /// <summary>The entry for this store path whatever its NarHash (used when the upstream cannot be asked), marked as just used.</summary>
    public SpoolEntry? TryGetAny(string storeHash)
    {
        lock (_lock)
        {
            if (!_byStoreHash.TryGetValue(storeHash, out var node))
            {
                return null;
            }
            _lru.Remove(node);
            _lru.AddFirst(node);
            return node.Value;
        }
    }

    /// <summary>Reads the narinfo text stored with an entry, or null when the entry was evicted meanwhile.</summary>
    public string? ReadNarInfo(SpoolEntry entry)
    {
        try
        {
            return File.ReadAllText(entry.NarInfoPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Opens an entry's body for reading, or null when it was evicted meanwhile. An open body stays readable after eviction.</summary>
    public FileStream? OpenRead(SpoolEntry entry)
    {
        try
        {
            return new FileStream(entry.NarPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            Remove(entry);
            return null;
        }
    }

    public SpoolWriter BeginWrite(string storeHash)
    {
        var temp = Path.Combine(Root, TempDir, $"{storeHash}-{Guid.NewGuid():N}.tmp");
        return new SpoolWriter(storeHash, temp);
    }

    /// <summary>Makes a verified body durable and visible: fsync, rename into nar/, then write the narinfo beside it.</summary>
    public SpoolEntry Commit(SpoolWriter writer, string narHashNix32, string narInfoText)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Stream.Flush(flushToDisk: true);
        var length = writer.Stream.Length;
        writer.Stream.Dispose();

        var narPath = Path.Combine(Root, NarDir, $"{writer.StoreHash}-{narHashNix32}.nar");
        var narInfoPath = NarInfoPathFor(writer.StoreHash);
        var previous = TryGetAny(writer.StoreHash);
        if (previous is not null && previous.NarPath != narPath)
        {
            Remove(previous);
        }
        File.Move(writer.TempPath, narPath, overwrite: true);
        writer.Committed = true;

        var narInfoTemp = Path.Combine(Root, TempDir, $"{writer.StoreHash}-{Guid.NewGuid():N}.narinfo.tmp");
        using (var stream = new FileStream(narInfoTemp, FileMode.CreateNew, FileAccess.Write))
        using (var text = new StreamWriter(stream))
        {
            text.Write(narInfoText);
            text.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(narInfoTemp, narInfoPath, overwrite: true);

        var entry = new SpoolEntry(writer.StoreHash, narHashNix32, narPath, narInfoPath, length);
        lock (_lock)
        {
            if (_byStoreHash.Remove(entry.StoreHash, out var old))
            {
                _lru.Remove(old);
                _sizeBytes -= old.Value.Length;
            }
            _byStoreHash[entry.StoreHash] = _lru.AddFirst(entry);
            _sizeBytes += length;
        }
        EvictOverflow(keep: entry);
        return entry;
    }

    /// <summary>Deletes an entry (used when its file vanished, or by eviction).</summary>
    public void Remove(SpoolEntry entry)
    {
        lock (_lock)
        {
            if (_byStoreHash.TryGetValue(entry.StoreHash, out var node) && ReferenceEquals(node.Value, entry))
            {
                _byStoreHash.Remove(entry.StoreHash);
                _lru.Remove(node);
                _sizeBytes -= entry.Length;
            }
        }
        DeleteFiles(entry);
    }

    // The newest entry is never evicted to make room for itself: a NAR larger than the whole spool is kept until
    // the next commit, so the bound is MaxBytes plus at most one NAR.
    private void EvictOverflow(SpoolEntry? keep)
    {
        List<SpoolEntry>? evicted = null;
        lock (_lock)
        {
            while (_sizeBytes > MaxBytes && _lru.Last is { } last && !ReferenceEquals(last.Value, keep))
            {
                _lru.RemoveLast();
                _byStoreHash.Remove(last.Value.StoreHash);
                _sizeBytes -= last.Value.Length;
                (evicted ??= []).Add(last.Value);
            }
        }
        if (evicted is null)
        {
            return;
        }
        foreach (var entry in evicted)
        {
            DeleteFiles(entry);
            Interlocked.Increment(ref _evictions);
            Evicted?.Invoke(entry);
        }
    }

    private static void DeleteFiles(SpoolEntry entry)
    {
        // A reader that already opened the body keeps it: unlinking an open file is safe on Linux.
        TryDelete(entry.NarInfoPath);
        TryDelete(entry.NarPath);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private string NarInfoPathFor(string storeHash) => Path.Combine(Root, NarInfoDir, storeHash + ".narinfo");

    private static bool TryParseNarFileName(string name, out string storeHash, out string narHash)
    {
        // <32 store hash>-<52 nix32 NarHash>.nar
        storeHash = narHash = "";
        if (name.Length != 32 + 1 + 52 + 4 || name[32] != '-' || !name.EndsWith(".nar", StringComparison.Ordinal))
        {
            return false;
        }
        storeHash = name[..32];
        narHash = name.Substring(33, 52);
        return Hashing.Nix32.IsNix32(storeHash) && Hashing.Nix32.IsNix32(narHash);
    }
}
