using NarGuard.Core.Spool;
using Xunit;

namespace NarGuard.Core.Tests.Spool;

public sealed class NarSpoolTests : IDisposable
{
    private const string HashA = "0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj";
    private const string HashB = "1d8cb6zq2p7n6m6z0vbw0zf2l9sdn2wj";
    private const string HashC = "2f9db7zq2p7n6m6z0vbw0zf2l9sdn2wj";
    private const string NarHash1 = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";
    private const string NarHash2 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "narguard-spool-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // A narinfo that describes the body (Initialize deletes a pair whose narinfo names another NarHash).
    private static string NarInfoText(string storeHash, string narHash) =>
        $"StorePath: /nix/store/{storeHash}-x\nURL: nar/{storeHash}.nar\nCompression: none\nNarHash: sha256:{narHash}\nNarSize: 8\n";

    // Commits and waits until the entry is durable in nar/; returns that entry without marking it used (LRU tests).
    private static SpoolEntry Put(NarSpool spool, string storeHash, string narHash, int size)
    {
        using (var writer = spool.BeginWrite(storeHash))
        {
            writer.Stream.Write(new byte[size]);
            spool.Commit(writer, narHash, NarInfoText(storeHash, narHash));
        }
        Assert.True(spool.WhenDurableAsync().Wait(TimeSpan.FromSeconds(30)));
        return spool.Snapshot().Single(e => e.StoreHash == storeHash);
    }

    [Fact]
    public async Task A_commit_is_served_from_its_temp_file_at_once_and_moves_into_nar_when_durable()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        var body = new byte[300_000];
        Random.Shared.NextBytes(body);
        SpoolEntry pending;
        FileStream reader;
        using (var writer = spool.BeginWrite(HashA))
        {
            writer.Stream.Write(body);
            pending = spool.Commit(writer, NarHash1, NarInfoText(HashA, NarHash1));
            // Opened before the background step can run its course: the handle must survive the rename.
            reader = spool.OpenRead(pending) ?? spool.OpenRead(spool.TryGet(HashA, NarHash1)!)!;
        }
        Assert.StartsWith("StorePath: /nix/store/" + HashA, spool.ReadNarInfo(pending));

        await spool.WhenDurableAsync();

        var durable = spool.TryGet(HashA, NarHash1)!;
        Assert.Equal(Path.Combine(spool.Root, "nar", $"{HashA}-{NarHash1}.nar"), durable.NarPath);
        Assert.Equal(body, File.ReadAllBytes(durable.NarPath));
        Assert.StartsWith("StorePath: /nix/store/" + HashA, File.ReadAllText(durable.NarInfoPath));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
        Assert.Equal(300_000, spool.SizeBytes);
        Assert.Equal(1, spool.Count);
        await using (reader)
        {
            var read = new byte[body.Length];
            await reader.ReadExactlyAsync(read);
            Assert.Equal(body, read);
        }
    }

    [Fact]
    public async Task A_stale_reference_to_the_pending_entry_never_deletes_the_durable_one()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        SpoolEntry pending;
        using (var writer = spool.BeginWrite(HashA))
        {
            writer.Stream.Write(new byte[1000]);
            pending = spool.Commit(writer, NarHash1, NarInfoText(HashA, NarHash1));
        }
        await spool.WhenDurableAsync();

        // A reader whose lookup raced the rename: the pending name is gone, the same file is found under its nar/ name.
        using (var body = spool.OpenRead(pending))
        {
            Assert.NotNull(body);
            Assert.Equal(Path.Combine(spool.Root, "nar", $"{HashA}-{NarHash1}.nar"), body!.Name);
        }
        Assert.Equal(Path.Combine(spool.Root, "nar", $"{HashA}-{NarHash1}.nar"), spool.TryGetAny(HashA)!.NarPath);
        Assert.Equal(0, spool.DamagedOnLookup);
        spool.Remove(pending);
        spool.DropDamaged(pending, "late", scrub: true);

        var durable = spool.TryGet(HashA, NarHash1);
        Assert.NotNull(durable);
        Assert.True(File.Exists(durable!.NarInfoPath));
        Assert.NotNull(spool.OpenRead(durable));
        Assert.Equal(0, spool.DamagedOnScrub);
    }

    [Fact]
    public void Committed_entry_is_found_by_store_hash_and_nar_hash_only()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        var entry = Put(spool, HashA, NarHash1, 100);

        Assert.Equal(entry, spool.TryGet(HashA, NarHash1));
        Assert.Null(spool.TryGet(HashA, NarHash2));
        Assert.Null(spool.TryGet(HashB, NarHash1));
        Assert.Equal(100, spool.SizeBytes);
        using var body = spool.OpenRead(entry)!;
        Assert.Equal(100, body.Length);
        Assert.StartsWith("StorePath: /nix/store/" + HashA, spool.ReadNarInfo(entry));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
    }

    [Fact]
    public void Abandoned_writer_leaves_no_file()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        using (var writer = spool.BeginWrite(HashA))
        {
            writer.Stream.Write(new byte[10]);
        }
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
        Assert.Null(spool.TryGetAny(HashA));
    }

    [Fact]
    public void Least_recently_used_entries_are_evicted_to_stay_under_the_bound()
    {
        var spool = new NarSpool(_root, 250);
        spool.Initialize();
        var evicted = new List<string>();
        spool.Evicted += e => evicted.Add(e.StoreHash);
        var a = Put(spool, HashA, NarHash1, 100);
        Put(spool, HashB, NarHash1, 100);
        Assert.NotNull(spool.TryGet(HashA, NarHash1)); // A is now more recent than B
        Put(spool, HashC, NarHash1, 100);

        Assert.Equal([HashB], evicted);
        Assert.Equal(200, spool.SizeBytes);
        Assert.Null(spool.TryGetAny(HashB));
        Assert.NotNull(spool.TryGetAny(HashA));
        Assert.True(File.Exists(a.NarPath));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_root, "nar")).Length);
        Assert.Equal(1, spool.Evictions);
    }

    [Fact]
    public void A_new_nar_hash_for_the_same_path_replaces_the_old_entry()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        var old = Put(spool, HashA, NarHash1, 10);
        Put(spool, HashA, NarHash2, 20);
        Assert.False(File.Exists(old.NarPath));
        Assert.Equal(20, spool.SizeBytes);
        Assert.Equal(NarHash2, spool.TryGetAny(HashA)!.NarHashNix32);
    }

    [Fact]
    public void Restart_reloads_entries_and_removes_temp_files_and_orphans()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        Put(spool, HashA, NarHash1, 10);
        var orphanBody = Put(spool, HashB, NarHash1, 10);
        File.Delete(orphanBody.NarInfoPath); // a crash between the two renames
        File.WriteAllText(Path.Combine(_root, "tmp", HashC + "-partial.tmp"), "half a NAR"); // a crash mid-download
        File.WriteAllText(Path.Combine(_root, "narinfo", HashC + ".narinfo"), "StorePath: x\n"); // narinfo without body

        var restarted = new NarSpool(_root, 1 << 20);
        var removed = restarted.Initialize();

        Assert.Equal(3, removed);
        Assert.Equal(1, restarted.Count);
        Assert.NotNull(restarted.TryGet(HashA, NarHash1));
        Assert.Null(restarted.TryGetAny(HashB));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
        Assert.False(File.Exists(orphanBody.NarPath));
    }

    [Fact]
    public void Restart_deletes_a_body_whose_narinfo_a_crash_left_empty()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        Put(spool, HashA, NarHash1, 10);
        var emptied = Put(spool, HashB, NarHash1, 10);
        File.WriteAllBytes(emptied.NarInfoPath, []); // the narinfo is not fsynced: a crash can leave it empty

        var restarted = new NarSpool(_root, 1 << 20);
        var removed = restarted.Initialize();

        Assert.Equal(1, removed);
        Assert.Null(restarted.TryGetAny(HashB));
        Assert.False(File.Exists(emptied.NarPath));
        Assert.False(File.Exists(emptied.NarInfoPath));
        Assert.NotNull(restarted.TryGet(HashA, NarHash1));
    }

    [Fact]
    public void Restart_deletes_a_body_beside_a_narinfo_of_another_nar_hash()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        var kept = Put(spool, HashA, NarHash1, 10);
        var mismatched = Put(spool, HashB, NarHash1, 10);
        // What a crash can leave of a replacement: the old body beside the new path's narinfo.
        File.WriteAllText(mismatched.NarInfoPath, NarInfoText(HashB, NarHash2));

        var restarted = new NarSpool(_root, 1 << 20);
        Assert.Equal(1, restarted.Initialize());

        Assert.Null(restarted.TryGetAny(HashB));
        Assert.False(File.Exists(mismatched.NarPath));
        Assert.False(File.Exists(mismatched.NarInfoPath));
        Assert.NotNull(restarted.TryGet(HashA, kept.NarHashNix32));
    }

    [Fact]
    public void Replacing_a_path_deletes_the_old_body_and_never_answers_its_narinfo_with_the_new_one()
    {
        var spool = new NarSpool(_root, 1 << 20);
        spool.Initialize();
        var old = Put(spool, HashA, NarHash1, 10);
        var replacement = Put(spool, HashA, NarHash2, 20);

        Assert.False(File.Exists(old.NarPath));
        Assert.Null(spool.ReadNarInfo(old));
        Assert.Contains(NarHash2, spool.ReadNarInfo(replacement));
        Assert.Equal(20, spool.SizeBytes);
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "nar")));
    }

    [Fact]
    public void An_open_body_stays_readable_after_eviction()
    {
        var spool = new NarSpool(_root, 150);
        spool.Initialize();
        var a = Put(spool, HashA, NarHash1, 100);
        using var reader = spool.OpenRead(a)!;
        Put(spool, HashB, NarHash1, 100);
        Assert.Null(spool.TryGetAny(HashA));
        Assert.Equal(100, reader.Read(new byte[200]));
        Assert.Null(spool.OpenRead(a));
    }
}
