using System.Collections.Concurrent;

namespace NarGuard.Core.Spool;

/// <summary>
/// The verified spool: a directory of NAR bodies that passed verification, each beside the narinfo it was checked
/// against, bounded in bytes with least-recently-used eviction. Doubles as a local cache for the next builder and
/// as the source of answers while the upstream is down.
/// </summary>
/// <remarks>
/// Crash safety: a body is written to tmp/ while it is verified; once verified it is served from there at once,
/// and in the background fsynced and renamed into nar/, then its narinfo is written beside it (not fsynced: see
/// Commit). At start, tmp/ is emptied, and a body without its narinfo (a crash between the two renames), a body
/// whose narinfo is empty (a crash right after), or a narinfo without its body is deleted. So a file in nar/ with
/// a narinfo beside it was always verified whole and was on disk before it got there.
/// Integrity: every lookup and every open compares the body's size and mtime with what was recorded at commit, so a
/// file changed on disk afterwards is dropped, never served ("no entry" for the caller); <see cref="SpoolScrubber"/>
/// re-verifies content, which catches damage that leaves size and mtime alone (bit rot) or happened while stopped.
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
    private long _damagedOnLookup;
    private long _damagedOnScrub;
    private long _durabilityFailures;
    // Narinfos of entries whose narinfo file is not written yet, by entry (reference): a reader holding one entry
    // must never get the narinfo of another entry of the same store path.
    private readonly ConcurrentDictionary<SpoolEntry, string> _pendingNarInfos = new(ReferenceEqualityComparer.Instance);
    // Bounds the background durability work: at most this many fsyncs at once (each blocks a thread), and above
    // MaxPendingCommits a commit makes itself durable before it returns, so a slow disk pushes back on the fetches.
    private readonly SemaphoreSlim _syncSlots = new(2, 2);
    private const int MaxPendingCommits = 256;
    private readonly ConcurrentDictionary<Task, byte> _durability = new();

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

    /// <summary>Entries dropped because their file's size or mtime no longer matched (found on lookup or open).</summary>
    public long DamagedOnLookup => Interlocked.Read(ref _damagedOnLookup);

    /// <summary>Entries dropped because their content no longer verified against their narinfo (found by a scrub).</summary>
    public long DamagedOnScrub => Interlocked.Read(ref _damagedOnScrub);

    /// <summary>Raised (outside the lock) for each entry dropped as damaged, with what was wrong.</summary>
    public event Action<SpoolEntry, string>? Damaged;

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
            var narInfo = new FileInfo(narInfoPath);
            if (!narInfo.Exists || narInfo.Length == 0 || !Describes(narInfoPath, storeHash, narHash))
            {
                // An empty narinfo is what a crash leaves of one written just before it (see Commit); one that
                // describes another NarHash is what a crash can leave of a replacement. Either way the pair goes.
                TryDelete(narInfoPath);
                File.Delete(narPath);
                removed++;
                continue;
            }
            narInfosWithBody.Add(storeHash);
            var info = new FileInfo(narPath);
            found.Add((new SpoolEntry(storeHash, narHash, narPath, narInfoPath, info.Length, info.LastWriteTimeUtc), info.LastWriteTimeUtc));
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
        SpoolEntry entry;
        lock (_lock)
        {
            if (!_byStoreHash.TryGetValue(storeHash, out var node))
            {
                return null;
            }
            _lru.Remove(node);
            _lru.AddFirst(node);
            entry = node.Value;
        }
        // One stat per lookup, outside the lock: cheap next to serving the body, and it keeps a file that was
        // rewritten, truncated or replaced since its verification from ever being answered.
        if (SpoolIntegrity.Check(entry) is { } damage)
        {
            if (DurableSuccessor(entry) is { } durable && SpoolIntegrity.Check(durable) is null)
            {
                // Renamed into nar/ between the lookup and the stat: not damage.
                return durable;
            }
            DropDamaged(entry, damage, scrub: false);
            return null;
        }
        return entry;
    }

    /// <summary>Every entry now, most recently used first (for the scrub).</summary>
    public IReadOnlyList<SpoolEntry> Snapshot()
    {
        lock (_lock)
        {
            return [.. _lru];
        }
    }

    /// <summary>
    /// Drops an entry found damaged: out of the index (only if it is still the current entry of its store path, so a
    /// fresh commit of the same path is never deleted by a late scrub), files deleted, counted, <see cref="Damaged"/> raised.
    /// </summary>
    public void DropDamaged(SpoolEntry entry, string damage, bool scrub)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!Unindex(entry))
        {
            return;
        }
        DeleteFiles(entry);
        Interlocked.Increment(ref scrub ? ref _damagedOnScrub : ref _damagedOnLookup);
        Damaged?.Invoke(entry, damage);
    }

    /// <summary>Reads the narinfo text stored with an entry, or null when the entry was evicted meanwhile.</summary>
    public string? ReadNarInfo(SpoolEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_pendingNarInfos.TryGetValue(entry, out var pending))
        {
            return pending;
        }
        if (!IsCurrent(entry))
        {
            // Replaced or dropped: the narinfo file, if any, belongs to another entry now.
            return null;
        }
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
            var stream = new FileStream(entry.NarPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            // Checked again on the open handle: the file the caller reads is the one that matched, even if the name
            // was replaced between the lookup and the open.
            if (SpoolIntegrity.Check(entry, stream) is { } damage)
            {
                stream.Dispose();
                DropDamaged(entry, damage, scrub: false);
                return null;
            }
            return stream;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            if (DurableSuccessor(entry) is { } durable)
            {
                // The entry became durable between the lookup and the open: the same verified file, under its nar/ name.
                return OpenRead(durable);
            }
            Remove(entry);
            return null;
        }
    }

    // The entry that replaced a pending one when it was renamed into nar/: same file (size and mtime), new name.
    private SpoolEntry? DurableSuccessor(SpoolEntry pending)
    {
        lock (_lock)
        {
            return _byStoreHash.TryGetValue(pending.StoreHash, out var node)
                && !ReferenceEquals(node.Value, pending)
                && node.Value.NarPath != pending.NarPath
                && node.Value.NarHashNix32 == pending.NarHashNix32
                && node.Value.Length == pending.Length
                && node.Value.WrittenUtc == pending.WrittenUtc
                ? node.Value
                : null;
        }
    }

    public SpoolWriter BeginWrite(string storeHash)
    {
        var temp = Path.Combine(Root, TempDir, $"{storeHash}-{Guid.NewGuid():N}.tmp");
        return new SpoolWriter(storeHash, temp);
    }

    /// <summary>
    /// Makes a verified body visible at once and durable soon after. The returned entry is served from the temp file;
    /// in the background the body is fsynced and renamed into nar/, then the narinfo is written beside it
    /// (<see cref="WhenDurableAsync"/> waits for that).
    /// </summary>
    /// <remarks>
    /// The fsync is what clients waited for: about 1 s per 146 MiB on this project's disk, and 9 ms for each small
    /// NAR (docs/BENCHMARKS.md). Serving before it keeps the crash guarantee, because nothing reaches nar/ before it
    /// is on disk: a crash before the background step leaves the body in tmp/, which the next start empties. The
    /// narinfo is not fsynced: the body is durable before its narinfo exists, and a narinfo lost or left empty by a
    /// crash (what ext4 and xfs leave of a new, unsynced file) makes <see cref="Initialize"/> delete the pair.
    /// </remarks>
    public SpoolEntry Commit(SpoolWriter writer, string narHashNix32, string narInfoText)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var length = writer.Stream.Length;
        // Closed here: readers open the temp file while it becomes durable, and a writer's FileShare.None would lock them out.
        writer.Stream.Dispose();
        writer.Committed = true;

        var narPath = Path.Combine(Root, NarDir, $"{writer.StoreHash}-{narHashNix32}.nar");
        var pending = new SpoolEntry(writer.StoreHash, narHashNix32, writer.TempPath, NarInfoPathFor(writer.StoreHash), length, File.GetLastWriteTimeUtc(writer.TempPath));
        _pendingNarInfos[pending] = narInfoText;
        SpoolEntry? displaced = null;
        lock (_lock)
        {
            if (_byStoreHash.Remove(pending.StoreHash, out var old))
            {
                _lru.Remove(old);
                _sizeBytes -= old.Value.Length;
                displaced = old.Value;
            }
            _byStoreHash[pending.StoreHash] = _lru.AddFirst(pending);
            _sizeBytes += length;
        }
        if (displaced is not null)
        {
            // The previous entry of this path goes now, body and narinfo: left on disk it would be untracked space
            // and, after a crash, a body beside a narinfo that no longer describes it. Open readers keep their handle.
            _pendingNarInfos.TryRemove(displaced, out _);
            DeleteFiles(displaced);
        }
        EvictOverflow(keep: pending);
        if (_durability.Count >= MaxPendingCommits)
        {
            MakeDurable(pending, narPath, narInfoText);
        }
        else
        {
            Track(Task.Run(async () =>
            {
                await _syncSlots.WaitAsync().ConfigureAwait(false);
                try
                {
                    MakeDurable(pending, narPath, narInfoText);
                }
                finally
                {
                    _syncSlots.Release();
                }
            }));
        }
        return pending;
    }

    // Takes an entry out of the index if it is still the current one of its store path; false when it was replaced,
    // dropped or evicted meanwhile (its files then belong to someone else, or are gone).
    private bool Unindex(SpoolEntry entry)
    {
        lock (_lock)
        {
            if (!_byStoreHash.TryGetValue(entry.StoreHash, out var node) || !ReferenceEquals(node.Value, entry))
            {
                return false;
            }
            _byStoreHash.Remove(entry.StoreHash);
            _lru.Remove(node);
            _sizeBytes -= entry.Length;
            return true;
        }
    }

    private bool IsCurrent(SpoolEntry entry)
    {
        lock (_lock)
        {
            return _byStoreHash.TryGetValue(entry.StoreHash, out var node) && ReferenceEquals(node.Value, entry);
        }
    }

    /// <summary>Completes when every commit so far is on disk in nar/ with its narinfo (or was dropped). For shutdown and tests.</summary>
    public Task WhenDurableAsync() => Task.WhenAll(_durability.Keys);

    /// <summary>Commits whose background fsync, rename or narinfo write failed (disk full, I/O error): the entry was dropped.</summary>
    public long DurabilityFailures => Interlocked.Read(ref _durabilityFailures);

    private void Track(Task task)
    {
        _durability[task] = 0;
        task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _), _durability, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void MakeDurable(SpoolEntry pending, string narPath, string narInfoText)
    {
        var narInfoTemp = Path.Combine(Root, TempDir, $"{pending.StoreHash}-{Guid.NewGuid():N}.narinfo.tmp");
        SpoolEntry? durable = null;
        try
        {
            // fsync is per file, not per descriptor: a second handle flushes what the writer wrote.
            using (var sync = new FileStream(pending.NarPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
            {
                sync.Flush(flushToDisk: true);
            }
            lock (_lock)
            {
                if (!_byStoreHash.TryGetValue(pending.StoreHash, out var node) || !ReferenceEquals(node.Value, pending))
                {
                    // Evicted, dropped or replaced while it was being synced: nothing of it may reach nar/.
                    TryDelete(pending.NarPath);
                    return;
                }
                // Readers that hold the pending entry keep reading their open handle; a lookup or an open that races
                // this rename finds the same file under its new name (DurableSuccessor).
                // No narinfo may stand beside a body it does not describe, even after a crash: the old one goes first.
                TryDelete(pending.NarInfoPath);
                File.Move(pending.NarPath, narPath, overwrite: true);
                durable = pending with { NarPath = narPath };
                _pendingNarInfos[durable] = narInfoText;
                node.Value = durable;
            }
            using (var stream = new FileStream(narInfoTemp, FileMode.CreateNew, FileAccess.Write))
            using (var text = new StreamWriter(stream))
            {
                text.Write(narInfoText);
            }
            lock (_lock)
            {
                if (_byStoreHash.TryGetValue(durable.StoreHash, out var node) && ReferenceEquals(node.Value, durable))
                {
                    File.Move(narInfoTemp, durable.NarInfoPath, overwrite: true);
                }
                else
                {
                    TryDelete(narInfoTemp);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Disk full or an I/O error: the entry cannot be kept, so it goes now instead of holding space until the
            // next start. Clients that already have it got verified bytes; the next request fetches it again.
            TryDelete(narInfoTemp);
            var entry = durable ?? pending;
            if (!Unindex(entry))
            {
                // Evicted or replaced meanwhile (its temp file deleted under the fsync): not a failure.
                TryDelete(pending.NarPath);
                return;
            }
            DeleteFiles(entry);
            Interlocked.Increment(ref _durabilityFailures);
            Damaged?.Invoke(entry, "could not be made durable: " + ex.GetType().Name + ": " + ex.Message);
        }
        finally
        {
            _pendingNarInfos.TryRemove(pending, out _);
            if (durable is not null)
            {
                _pendingNarInfos.TryRemove(durable, out _);
            }
        }
    }

    /// <summary>Deletes an entry (used when its file vanished, or by eviction).</summary>
    public void Remove(SpoolEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (_byStoreHash.TryGetValue(entry.StoreHash, out var node))
            {
                if (!ReferenceEquals(node.Value, entry))
                {
                    // A newer entry of the same path (or this one, made durable and renamed) owns the narinfo file now.
                    return;
                }
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

    // Whether a spooled narinfo names this store path and this NarHash (hex, nix32 or SRI in the file).
    private static bool Describes(string narInfoPath, string storeHash, string narHashNix32)
    {
        try
        {
            var text = File.ReadAllText(narInfoPath);
            return NarInfos.NarInfo.TryParse(text, out var info, out _)
                && string.Equals(info!.StoreHash, storeHash, StringComparison.Ordinal)
                && string.Equals(info.NarHash.ToNix32(), narHashNix32, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
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
