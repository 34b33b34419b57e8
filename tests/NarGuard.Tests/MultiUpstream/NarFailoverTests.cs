using System.Net;
using AtticEmulator;
using NarGuard.Core.Concurrency;
using NarGuard.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>
/// A broken NAR in the first upstream is served intact from the next upstream that has the same NAR (same NarHash,
/// same compression), under the URL the client was told; when no upstream has an intact copy, 404.
/// </summary>
public sealed class NarFailoverTests
{
    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : "";

    [Theory]
    [InlineData(Fault.Empty, "empty")]
    [InlineData(Fault.Corrupt, "hash_mismatch")]
    [InlineData(Fault.Truncated, "truncated")]
    [InlineData(Fault.NarServerError, "upstream_status")]
    public async Task A_broken_body_in_the_first_upstream_is_served_from_the_second(Fault fault, string reason)
    {
        await using var env = await TwoUpstreams.StartAsync();
        var obj = env.AddToBoth("failover");
        env.A.SetFault(obj.StoreHash, fault);

        using var narInfo = await env.Proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        Assert.Equal("u1", Header(narInfo, "X-NarGuard-Upstream"));
        Assert.Contains($"URL: nar/{obj.StoreHash}.nar\n", await narInfo.Content.ReadAsStringAsync());

        using var nar = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal("b", Header(nar, "X-NarGuard-Upstream"));
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync()); // both emulators compress alike
        Assert.True(env.A.NarRequests(obj.StoreHash) >= 1);
        Assert.Equal(1, env.B.NarRequests(obj.StoreHash));

        var metrics = env.Proxy.Metrics;
        Assert.Equal(1, metrics.Sum("narguard.nar.rejections", "narguard.reason", reason));
        Assert.Equal(1, metrics.Sum("narguard.nar.rejections", "narguard.upstream", "u1"));
        Assert.Equal(0, metrics.Sum("narguard.nar.rejections", "narguard.upstream", "b"));
        Assert.Equal(1, metrics.Sum("narguard.nar.verified", "narguard.upstream", "b"));
        Assert.Equal(0, metrics.Sum("narguard.nar.verified", "narguard.upstream", "u1"));
        Assert.Equal(obj.Body.Length, metrics.Sum("narguard.upstream.verified", "narguard.upstream", "b"));
        Assert.Equal(obj.Body.Length, metrics.Sum("narguard.nar.served", "narguard.upstream", "b"));
        Assert.Equal(1, metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "served"));
        Assert.Equal(1, metrics.Sum("narguard.upstream.failovers", "narguard.upstream.to", "b"));
        var rejected = Assert.Single(env.Proxy.Logs.Lines, l => l.StartsWith("NAR rejected", StringComparison.Ordinal));
        Assert.Contains($"reason={reason}", rejected);
        Assert.Contains("upstream=u1", rejected);
        Assert.Contains(env.Proxy.Logs.Lines, l => l.StartsWith("NAR failover", StringComparison.Ordinal) && l.Contains("from=u1 to=b outcome=served", StringComparison.Ordinal));

        // Quarantine is per upstream: A's copy is quarantined, B's is not.
        var quarantine = env.Proxy.App.Services.GetRequiredService<Quarantine>();
        Assert.True(quarantine.TryGet(obj.StoreHash, out _));
        Assert.False(quarantine.TryGet("b/" + obj.StoreHash, out _));

        // The next narinfo skips A (its NAR is quarantined there) and routes the NAR to B, which the spool now serves.
        using var again = await env.Proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("b", Header(again, "X-NarGuard-Upstream"));
        Assert.Contains($"URL: nar/b/{obj.StoreHash}.nar.zst\n", await again.Content.ReadAsStringAsync());
        using var viaB = await env.Proxy.Client.GetAsync($"nar/b/{obj.StoreHash}.nar.zst");
        Assert.Equal(HttpStatusCode.OK, viaB.StatusCode);
        Assert.Equal("spool", Header(viaB, "X-NarGuard-Source"));
        Assert.Equal(obj.Body, await viaB.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, env.B.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task A_copy_with_another_NarHash_in_the_second_upstream_is_never_served()
    {
        await using var env = await TwoUpstreams.StartAsync();
        var path = StorePaths.Make("other-hash");
        var obj = env.A.Add(path, Nar.OfText("the first", 50_000));
        env.B.Add(path, Nar.OfText("the second", 50_000));
        env.A.SetFault(obj.StoreHash, Fault.Corrupt);

        using var nar = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("hash_mismatch", Header(nar, "X-NarGuard-Reason"));
        Assert.Equal(0, env.B.NarRequests(obj.StoreHash));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "nar_hash_differs"));
        Assert.Equal(0, env.Proxy.Metrics.Sum("narguard.nar.verified"));
        Assert.Contains(env.Proxy.Logs.Lines, l => l.Contains("outcome=nar_hash_differs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_copy_in_another_compression_is_reencoded_into_the_clients_and_verified_again()
    {
        await using var env = await TwoUpstreams.StartAsync(b: new EmulatorOptions { Compression = BodyCompression.Xz });
        var obj = env.AddToBoth("other-compression");
        env.A.SetFault(obj.StoreHash, Fault.Empty);

        using var nar = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        // The client holds A's narinfo (zstd, no FileHash): it gets zstd bytes that decompress to the very NAR.
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal("b", Header(nar, "X-NarGuard-Upstream"));
        using var zstd = new ZstdSharp.Decompressor();
        Assert.Equal(obj.Nar, zstd.Unwrap(await nar.Content.ReadAsByteArrayAsync()).ToArray());
        Assert.Equal(1, env.B.NarRequests(obj.StoreHash));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "served_transcoded"));
        Assert.Contains(env.Proxy.Logs.Lines, l => l.StartsWith("NAR transcoded", StringComparison.Ordinal) && l.Contains("from=xz to=zstd", StringComparison.Ordinal));

        // The re-encoded bytes are no upstream's file: a Range request for A's URL must not splice them onto A's.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(10, null);
        using var range = await env.Proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, range.StatusCode);
        Assert.Equal("range_unprovable", Header(range, "X-NarGuard-Reason"));

        // A full request is a spool hit now.
        using var again = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal("spool", Header(again, "X-NarGuard-Source"));
        Assert.Equal(obj.Nar, zstd.Unwrap(await again.Content.ReadAsByteArrayAsync()).ToArray());
    }

    [Fact]
    public async Task A_copy_that_cannot_be_reencoded_into_the_clients_compression_is_never_served()
    {
        // The client's narinfo says xz, which NarGuard cannot write; B's zstd bytes must not reach it.
        await using var env = await TwoUpstreams.StartAsync(a: new EmulatorOptions { Compression = BodyCompression.Xz });
        var obj = env.AddToBoth("cannot-reencode");
        env.A.SetFault(obj.StoreHash, Fault.Empty);

        using var nar = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal(0, env.B.NarRequests(obj.StoreHash));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "compression_differs"));
    }

    [Fact]
    public async Task When_every_copy_is_broken_the_client_gets_404_and_each_upstream_leaves_its_evidence()
    {
        await using var env = await TwoUpstreams.StartAsync();
        var obj = env.AddToBoth("all-broken");
        env.A.SetFault(obj.StoreHash, Fault.Empty);
        env.B.SetFault(obj.StoreHash, Fault.Corrupt);

        using var nar = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("empty", Header(nar, "X-NarGuard-Reason"));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.nar.rejections", "narguard.upstream", "u1"));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.nar.rejections", "narguard.upstream", "b"));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "rejected"));
        Assert.Equal(2, env.Proxy.Logs.Lines.Count(l => l.StartsWith("NAR rejected", StringComparison.Ordinal)));

        // Both copies are quarantined now: the narinfo is 404 everywhere, and a retry asks nobody.
        using var narInfo = await env.Proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        Assert.Equal(HttpStatusCode.NotFound, narInfo.StatusCode);
        using var retry = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.NotFound, retry.StatusCode);
        Assert.Equal(1, env.B.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task A_range_request_is_not_answered_from_another_upstreams_copy_without_an_equal_FileHash()
    {
        await using var env = await TwoUpstreams.StartAsync();
        var obj = env.AddToBoth("range");
        env.A.SetFault(obj.StoreHash, Fault.Empty);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, null);
        using var range = await env.Proxy.Client.SendAsync(request);

        // Attic's narinfos carry no FileHash: B's bytes may be another encoding of the same NAR, and splicing them
        // onto A's first bytes would fail Nix's hash check. 404 is the clean answer.
        Assert.Equal(HttpStatusCode.NotFound, range.StatusCode);
        Assert.Equal(0, env.B.NarRequests(obj.StoreHash));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "range_unprovable"));

        // A full request fails over as usual.
        using var full = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("b", Header(full, "X-NarGuard-Upstream"));
    }

    [Fact]
    public async Task A_NAR_url_naming_an_unknown_upstream_is_a_404_that_says_why()
    {
        await using var env = await TwoUpstreams.StartAsync();
        var obj = env.AddToBoth("unknown-upstream");

        using var nar = await env.Proxy.Client.GetAsync($"nar/gone/{obj.StoreHash}.nar.zst");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("unknown_upstream", Header(nar, "X-NarGuard-Reason"));
        Assert.Contains("no upstream named 'gone'", await nar.Content.ReadAsStringAsync());
        Assert.Equal(0, env.A.NarRequests(obj.StoreHash) + env.B.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task A_NAR_url_of_the_second_upstream_resolves_after_a_restart()
    {
        var spool = Path.Combine(Path.GetTempPath(), "narguard-test-" + Guid.NewGuid().ToString("N"));
        await using var b = await AtticEmulatorServer.StartAsync();
        var path = StorePaths.Make("only-in-b");
        var obj = b.Add(path, Nar.OfText("only in b", 40_000));
        try
        {
            await using (var first = await ProxyFixture.StartAsync(o => o.Upstreams.Add(new Configuration.UpstreamOptions { Name = "b", Url = b.CacheUrl }), spoolDir: spool))
            {
                var text = await first.Client.GetStringAsync(obj.StoreHash + ".narinfo");
                Assert.Contains($"URL: nar/b/{obj.StoreHash}.nar.zst\n", text);
            }
            // A new process, nothing cached but the spool (empty for this path): Nix goes straight to the NAR URL.
            await using var second = await ProxyFixture.StartAsync(o => o.Upstreams.Add(new Configuration.UpstreamOptions { Name = "b", Url = b.CacheUrl }), spoolDir: spool);
            using var nar = await second.Client.GetAsync($"nar/b/{obj.StoreHash}.nar.zst");
            Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
            Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
            Assert.Equal(0, second.Upstream.NarRequests(obj.StoreHash));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }
}
