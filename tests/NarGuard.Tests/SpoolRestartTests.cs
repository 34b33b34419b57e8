using System.Net;
using AtticEmulator;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests;

public sealed class SpoolRestartTests : IDisposable
{
    private readonly List<string> _spools = [];

    public void Dispose()
    {
        foreach (var spool in _spools.Where(Directory.Exists))
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    private string NewSpool()
    {
        var spool = Path.Combine(Path.GetTempPath(), "narguard-spool-" + Guid.NewGuid().ToString("N"));
        _spools.Add(spool);
        return spool;
    }

    [Fact]
    public async Task After_a_restart_the_nar_url_still_resolves_and_verified_bodies_come_from_the_spool()
    {
        await using var upstream = await AtticEmulatorServer.StartAsync();
        var spool = NewSpool();
        var kept = upstream.Add(StorePaths.Make("kept"), Nar.OfText("kept", 200_000));
        var fresh = upstream.Add(StorePaths.Make("fresh"), Nar.OfText("fresh", 200_000));

        await using (var first = await ProxyFixture.StartAsync(upstream: upstream, spoolDir: spool))
        {
            Assert.Equal(kept.Body, await first.Client.GetByteArrayAsync($"nar/{kept.StoreHash}.nar"));
            await first.StopProxyAsync();

            // A new process: no narinfo seen, as when Nix comes back 30 days later straight to the NAR URL.
            await using var second = await ProxyFixture.StartAsync(upstream: upstream, spoolDir: spool);
            using var fromSpool = await second.Client.GetAsync($"nar/{kept.StoreHash}.nar");
            using var fromUpstream = await second.Client.GetAsync($"nar/{fresh.StoreHash}.nar");

            Assert.Equal("spool", fromSpool.Headers.GetValues("X-NarGuard-Source").Single());
            Assert.Equal(kept.Body, await fromSpool.Content.ReadAsByteArrayAsync());
            Assert.Equal(fresh.Body, await fromUpstream.Content.ReadAsByteArrayAsync());
            Assert.Equal(1, upstream.NarRequests(kept.StoreHash));
        }
    }

    [Fact]
    public async Task When_the_upstream_is_down_verified_paths_are_still_served_from_the_spool()
    {
        await using var upstream = await AtticEmulatorServer.StartAsync();
        var spool = NewSpool();
        var obj = upstream.Add(StorePaths.Make("survivor"), Nar.OfText("s", 100_000));
        await using (var warm = await ProxyFixture.StartAsync(upstream: upstream, spoolDir: spool, configure: o => o.NarInfoCache.Ttl = TimeSpan.Zero))
        {
            Assert.Equal(obj.Body, await warm.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar"));
        }

        var gone = await AtticEmulatorServer.StartAsync();
        var deadUrl = gone.CacheUrl;
        await gone.DisposeAsync();
        await using var unused = await AtticEmulatorServer.StartAsync();
        await using var cold = await ProxyFixture.StartAsync(o => o.Upstream = deadUrl, upstream: unused, spoolDir: spool);

        using var narinfo = await cold.Client.GetAsync(obj.StoreHash + ".narinfo");
        using var nar = await cold.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.OK, narinfo.StatusCode);
        Assert.Contains($"StorePath: {obj.StorePath}", await narinfo.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Spool_is_bounded_and_evicts_the_least_recently_used_nar()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.Spool.MaxBytes = 150_000);
        var objects = Enumerable.Range(0, 4).Select(i => proxy.Upstream.Add(StorePaths.Make("lru" + i), Nar.OfFile(System.Security.Cryptography.RandomNumberGenerator.GetBytes(60_000)))).ToList();
        foreach (var obj in objects)
        {
            Assert.Equal(obj.Body, await proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar"));
        }
        var total = proxy.SpoolNarFiles().Sum(f => new FileInfo(f).Length);
        Assert.True(total <= 150_000, $"spool holds {total} bytes");
        Assert.Equal(2, proxy.SpoolNarFiles().Length);
        Assert.Contains(proxy.SpoolNarFiles(), f => Path.GetFileName(f).StartsWith(objects[3].StoreHash, StringComparison.Ordinal));
    }
}
