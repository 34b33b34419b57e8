using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Publication;
using NarGuard.Storage;
using NarGuard.Tests.Health;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Publication;

/// <summary>
/// A push Attic accepted but cannot serve back: the read-back fails, the path is held (narinfo and NAR answer 404
/// publication_hold, longer than the quarantine), and a later read-back that verifies lifts the hold.
/// </summary>
public sealed class ReadBackHoldTests
{
    [Fact]
    public async Task A_deduplicated_push_while_the_bucket_index_is_lost_is_held_until_a_read_back_verifies_it()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            s3.Configure(o, "attic");
            o.Publication.HoldRecheckInterval = TimeSpan.FromSeconds(1);
            o.Quarantine.Ttl = TimeSpan.FromMilliseconds(200);
        }, upstream: attic);
        Assert.True((await proxy.App.Services.GetRequiredService<StorageProbeService>().RunOnceAsync()).Ok);
        var nar = Nar.OfText("shared", 150_000);
        var (first, _) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", StorePaths.Make("first"), nar);
        Assert.Equal(200, first);
        await Eventually.TrueAsync(() => proxy.Metrics.Sum("narguard.publication.read_backs", "narguard.result", "ok") == 1, "first read-back");

        // The index is lost; the probe has not run since. A push of the same NAR under another path deduplicates: it
        // succeeds without touching S3 (the operators' one-path probe passing), but the NAR cannot be read back.
        BucketIndex.Lose(s3, "attic");
        var path = StorePaths.Make("deduplicated");
        var hash = StorePaths.HashOf(path);
        var (status, body) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, nar);
        Assert.Equal(200, status);
        Assert.Equal("Deduplicated", body.GetProperty("kind").GetString());

        var failed = await Eventually.LogLineAsync(proxy, "publication read-back failed, path held: store_path=" + path);
        Assert.Contains("reason=empty", failed, StringComparison.Ordinal);
        Assert.Contains("upstream_status=200 bytes_received=0", failed, StringComparison.Ordinal);
        Assert.Contains("trigger=deduplicated", failed, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.read_backs", "narguard.result", "failed"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.holds"));

        // Held: 404 for narinfo and NAR, also after the quarantine TTL.
        await Task.Delay(300);
        await AssertHeldAsync(proxy, hash);

        // The storage is repaired; the next request for the path queues a read-back, which verifies and lifts the hold.
        BucketIndex.Restore(s3, "attic");
        await Task.Delay(1100);
        using (var stillHeld = await proxy.Client.GetAsync(hash + ".narinfo"))
        {
            // This request finds the hold (404) and queues the read-back that will lift it.
            Assert.Equal(HttpStatusCode.NotFound, stillHeld.StatusCode);
            Assert.Equal("publication_hold", stillHeld.Headers.GetValues("X-NarGuard-Reason").Single());
        }
        await Eventually.LogLineAsync(proxy, "publication hold lifted: store_path=" + path);
        using var narInfo = await proxy.Client.GetAsync(hash + ".narinfo");
        Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        Assert.Equal(attic.Find(hash)!.Body, await proxy.Client.GetByteArrayAsync($"nar/{hash}.nar"));
        Assert.Equal(0, proxy.Metrics.Sum("narguard.publication.holds"));
    }

    [Fact]
    public async Task A_fault_on_the_pushed_path_holds_it_and_the_holds_survive_the_quarantine()
    {
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Publication.HoldRecheckInterval = TimeSpan.FromHours(1);
            o.Quarantine.Ttl = TimeSpan.FromMilliseconds(100);
        });
        var path = StorePaths.Make("truncated");
        var hash = StorePaths.HashOf(path);
        proxy.Upstream.SetFault(hash, Fault.Truncated);
        var (status, _) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, Nar.OfText("truncated", 200_000));
        Assert.Equal(200, status);

        var failed = await Eventually.LogLineAsync(proxy, "publication read-back failed, path held: store_path=" + path);
        Assert.Contains("reason=truncated", failed, StringComparison.Ordinal);
        await Task.Delay(200);
        var narRequests = proxy.Upstream.NarRequests(hash);
        await AssertHeldAsync(proxy, hash);
        Assert.Equal(narRequests, proxy.Upstream.NarRequests(hash));

        // Fixed upstream, pushed again: the new push's read-back verifies and lifts the hold.
        proxy.Upstream.SetFault(hash, Fault.Healthy);
        var (again, _) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, Nar.OfText("truncated", 200_000));
        Assert.Equal(200, again);
        await Eventually.LogLineAsync(proxy, "publication hold lifted: store_path=" + path);
        using var nar = await proxy.Client.GetAsync($"nar/{hash}.nar");
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
    }

    [Fact]
    public void Holds_are_bounded_and_expire()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-05-08T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var holds = new PublicationHolds(new PublicationOptions { HoldMaxEntries = 2, HoldTtl = TimeSpan.FromHours(1), HoldRecheckInterval = TimeSpan.FromMinutes(1) }, time);
        var rechecks = new List<string>();
        holds.RecheckDue += h => rechecks.Add(h.StoreHash);
        holds.Hold("a", null, "empty");
        time.Advance(TimeSpan.FromSeconds(1));
        holds.Hold("b", null, "empty");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a", holds.Hold("c", null, "empty")!.StoreHash);
        Assert.Equal(2, holds.Count);

        Assert.True(holds.TryGet("b", out _));
        Assert.Empty(rechecks);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(holds.TryGet("b", out _));
        Assert.True(holds.TryGet("b", out _));
        Assert.Equal(["b"], rechecks);

        time.Advance(TimeSpan.FromHours(1));
        Assert.False(holds.TryGet("c", out _));
        Assert.Equal(0, holds.Count);
    }

    private static async Task AssertHeldAsync(ProxyFixture proxy, string hash)
    {
        using var narInfo = await proxy.Client.GetAsync(hash + ".narinfo");
        using var nar = await proxy.Client.GetAsync($"nar/{hash}.nar");
        Assert.Equal(HttpStatusCode.NotFound, narInfo.StatusCode);
        Assert.Equal("publication_hold", narInfo.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("publication_hold", nar.Headers.GetValues("X-NarGuard-Reason").Single());
    }
}
