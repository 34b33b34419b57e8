using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Spool;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>A byte flipped in a spooled file on disk: the proxy never serves it as verified.</summary>
public sealed class SpoolDamageTests
{
    private static void FlipByte(string path, bool keepMtime)
    {
        var mtime = File.GetLastWriteTimeUtc(path);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            var b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0x40));
        }
        if (keepMtime)
        {
            File.SetLastWriteTimeUtc(path, mtime);
        }
    }

    [Fact]
    public async Task A_spooled_file_changed_on_disk_is_fetched_and_verified_again_never_served()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("flipped"), Nar.OfText("flipped", 300_000));
        Assert.Equal(obj.Body, await proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar"));
        FlipByte(Assert.Single(proxy.SpoolNarFiles()), keepMtime: false);

        using var again = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("upstream", again.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Equal(obj.Body, await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, proxy.Upstream.NarRequests(obj.StoreHash));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.spool.damaged", "narguard.check", "stat"));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("spool entry damaged", StringComparison.Ordinal) && l.Contains(obj.StoreHash, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_damaged_spool_file_is_a_404_when_the_upstream_cannot_give_a_good_copy_either()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.NarInfoCache.Ttl = TimeSpan.Zero);
        var obj = proxy.Upstream.Add(StorePaths.Make("flipped-broken"), Nar.OfText("fb", 300_000));
        Assert.Equal(obj.Body, await proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar"));
        FlipByte(Assert.Single(proxy.SpoolNarFiles()), keepMtime: false);
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Corrupt);

        using var again = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("hash_mismatch", again.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Empty(proxy.SpoolNarFiles());
    }

    [Fact]
    public async Task Bit_rot_that_keeps_size_and_mtime_is_dropped_by_the_scrub_and_the_next_request_refetches()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.Spool.ScrubInterval = TimeSpan.Zero);
        var obj = proxy.Upstream.Add(StorePaths.Make("rotten"), Nar.OfText("rotten", 300_000));
        Assert.Equal(obj.Body, await proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar"));
        FlipByte(Assert.Single(proxy.SpoolNarFiles()), keepMtime: true);

        var report = await proxy.App.Services.GetRequiredService<SpoolScrubService>().RunPassAsync(CancellationToken.None);
        using var again = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(1, report!.Value.Damaged);
        Assert.Equal(1, proxy.Metrics.Sum("narguard.spool.damaged", "narguard.check", "scrub"));
        Assert.Equal("upstream", again.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Equal(obj.Body, await again.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_spool_file_that_cannot_be_read_is_a_404_with_evidence_never_a_5xx()
    {
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Resilience.NarInfoRetries = 0;
            o.NarInfoCache.Ttl = TimeSpan.Zero;
        });
        var obj = proxy.Upstream.Add(StorePaths.Make("unreadable"), Nar.OfText("unreadable", 50_000));
        Assert.Equal(obj.Body, await proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar"));
        Assert.Single(proxy.SpoolNarFiles());
        // The upstream fails, so the narinfo comes from the spool; its file is now something no read succeeds on
        // (a directory: EISDIR, the way EIO or EACCES would also surface).
        var narInfoPath = Path.Combine(proxy.SpoolDir, "narinfo", obj.StoreHash + ".narinfo");
        File.Delete(narInfoPath);
        Directory.CreateDirectory(narInfoPath);
        proxy.Upstream.SetFault(obj.StoreHash, Fault.NarInfoServerError);

        using var narinfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");

        Assert.Equal(HttpStatusCode.NotFound, narinfo.StatusCode);
        Assert.Equal("spool_error", narinfo.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("guard failed, answered 404", StringComparison.Ordinal) && l.Contains(obj.StoreHash, StringComparison.Ordinal));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.nar.rejections", "narguard.reason", "spool_error"));
    }
}
