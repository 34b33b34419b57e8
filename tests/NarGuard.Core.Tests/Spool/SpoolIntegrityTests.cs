using System.Security.Cryptography;
using NarGuard.Core.Hashing;
using NarGuard.Core.Spool;
using NarGuard.Core.Tests.Verification;
using Xunit;

namespace NarGuard.Core.Tests.Spool;

/// <summary>
/// A spooled body changed on disk after verification is never handed out: a change of size or mtime is seen on the
/// next lookup or open, and a change that keeps both (bit rot) is seen by the scrub, which re-verifies the content.
/// </summary>
public sealed class SpoolIntegrityTests : IDisposable
{
    private const string StoreHash = "0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "narguard-integrity-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (NarSpool Spool, SpoolEntry Entry, byte[] Body) Committed(string file = "fixture.nar.zst")
    {
        var spool = new NarSpool(_root, 1 << 24);
        spool.Initialize();
        var body = NarTestData.Read(file);
        var nar = NarTestData.NarOf(file);
        var narHash = new NixHash(SHA256.HashData(nar));
        var compression = file.EndsWith(".zst", StringComparison.Ordinal) ? "zstd" : "none";
        var narInfo = $"StorePath: /nix/store/{StoreHash}-fixture\nURL: nar/{StoreHash}.nar\nCompression: {compression}\nNarHash: {narHash.ToNix32String()}\nNarSize: {nar.Length}\n";
        using (var writer = spool.BeginWrite(StoreHash))
        {
            writer.Stream.Write(body);
            spool.Commit(writer, narHash.ToNix32(), narInfo);
        }
        // The durable entry, in nar/: these tests damage the file a restart would find.
        Assert.True(spool.WhenDurableAsync().Wait(TimeSpan.FromSeconds(30)));
        return (spool, spool.Snapshot().Single(), body);
    }

    private static void FlipByte(string path, long offset, bool keepMtime)
    {
        var mtime = File.GetLastWriteTimeUtc(path);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = offset;
            var b = file.ReadByte();
            file.Position = offset;
            file.WriteByte((byte)(b ^ 0x01));
        }
        // Bit rot changes bytes without a write(2): restoring the mtime simulates exactly that.
        File.SetLastWriteTimeUtc(path, keepMtime ? mtime : mtime.AddSeconds(1));
    }

    [Fact]
    public void A_rewritten_body_is_dropped_on_lookup_and_its_files_deleted()
    {
        var (spool, entry, body) = Committed();
        FlipByte(entry.NarPath, body.Length / 2, keepMtime: false);

        Assert.Null(spool.TryGet(StoreHash, entry.NarHashNix32));
        Assert.False(File.Exists(entry.NarPath));
        Assert.False(File.Exists(entry.NarInfoPath));
        Assert.Equal(0, spool.Count);
        Assert.Equal(1, spool.DamagedOnLookup);
    }

    [Fact]
    public void A_truncated_body_is_dropped_on_lookup()
    {
        var (spool, entry, body) = Committed();
        var damages = new List<string>();
        spool.Damaged += (_, damage) => damages.Add(damage);
        using (var file = new FileStream(entry.NarPath, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(body.Length - 1);
        }

        Assert.Null(spool.TryGetAny(StoreHash));
        Assert.Contains("size changed", Assert.Single(damages));
    }

    [Fact]
    public void A_body_swapped_between_lookup_and_open_is_not_opened()
    {
        var (spool, entry, body) = Committed();
        Assert.NotNull(spool.TryGet(StoreHash, entry.NarHashNix32));
        var swapped = entry.NarPath + ".new";
        File.WriteAllBytes(swapped, new byte[body.Length]);
        File.Move(swapped, entry.NarPath, overwrite: true);

        Assert.Null(spool.OpenRead(entry));
        Assert.Equal(0, spool.Count);
    }

    [Fact]
    public async Task Bit_rot_that_keeps_size_and_mtime_passes_the_stat_but_the_scrub_drops_it()
    {
        var (spool, entry, body) = Committed("fixture.nar");
        FlipByte(entry.NarPath, body.Length / 2, keepMtime: true);
        Assert.NotNull(spool.TryGet(StoreHash, entry.NarHashNix32));

        var report = await new SpoolScrubber(spool).ScrubAsync(CancellationToken.None);

        Assert.Equal(new ScrubReport(0, 1, 0), report);
        Assert.Null(spool.TryGet(StoreHash, entry.NarHashNix32));
        Assert.False(File.Exists(entry.NarPath));
        Assert.Equal(1, spool.DamagedOnScrub);
    }

    [Fact]
    public async Task Damage_done_while_stopped_is_taken_as_found_at_start_and_caught_by_the_scrub()
    {
        var (_, entry, body) = Committed();
        FlipByte(entry.NarPath, body.Length / 3, keepMtime: false);

        var restarted = new NarSpool(_root, 1 << 24);
        restarted.Initialize();
        Assert.NotNull(restarted.TryGetAny(StoreHash)); // size and mtime are recorded as found: the stat cannot know
        var report = await new SpoolScrubber(restarted).ScrubAsync(CancellationToken.None);

        Assert.Equal(1, report.Damaged);
        Assert.Null(restarted.TryGetAny(StoreHash));
    }

    [Fact]
    public async Task Intact_entries_pass_the_scrub_and_stay()
    {
        var (spool, entry, _) = Committed();

        var report = await new SpoolScrubber(spool).ScrubAsync(CancellationToken.None);

        Assert.Equal(new ScrubReport(1, 0, 0), report);
        Assert.Equal(entry, spool.TryGet(StoreHash, entry.NarHashNix32));
    }

    [Fact]
    public async Task A_stored_narinfo_that_no_longer_parses_drops_the_entry()
    {
        var (spool, entry, _) = Committed();
        File.WriteAllText(entry.NarInfoPath, "StorePath: /nix/store/garbage\n");

        var report = await new SpoolScrubber(spool).ScrubAsync(CancellationToken.None);

        Assert.Equal(1, report.Damaged);
        Assert.Equal(0, spool.Count);
    }
}
