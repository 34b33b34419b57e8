using System.Net;
using System.Net.Http.Headers;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests;

public sealed class NarGuardHealthyTests
{
    [Fact]
    public async Task Healthy_path_is_served_verified_with_length_and_ranges_then_from_the_spool()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var path = StorePaths.Make("hello-2.12");
        var obj = proxy.Upstream.Add(path, Nar.OfText("hello", 300_000), references: [path["/nix/store/".Length..]]);

        using var narinfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        Assert.Equal(HttpStatusCode.OK, narinfo.StatusCode);
        Assert.Equal("text/x-nix-narinfo", narinfo.Content.Headers.ContentType?.MediaType);
        var text = await narinfo.Content.ReadAsStringAsync();
        Assert.Contains($"StorePath: {path}\n", text);
        Assert.Contains($"URL: nar/{obj.StoreHash}.nar\n", text);
        Assert.Contains($"NarHash: {obj.NarHash}\n", text);
        Assert.Contains("System: ", text);

        using var nar = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body.Length, nar.Content.Headers.ContentLength);
        Assert.Equal("application/x-nix-nar", nar.Content.Headers.ContentType?.MediaType);
        Assert.Contains("bytes", nar.Headers.AcceptRanges);
        Assert.Empty(nar.Content.Headers.ContentEncoding);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
        Assert.Equal("upstream", nar.Headers.GetValues("X-NarGuard-Source").Single());

        using var again = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(obj.Body, await again.Content.ReadAsByteArrayAsync());
        Assert.Equal("spool", again.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));

        Assert.Single(proxy.SpoolNarFiles());
        Assert.Empty(proxy.SpoolTempFiles());
        Assert.Equal(1, proxy.Metrics.Sum("narguard.nar.verified"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.spool.hits"));
        Assert.Equal(0, proxy.Metrics.Sum("narguard.nar.rejections"));
    }

    [Fact]
    public async Task Range_requests_get_206_with_the_requested_bytes()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("ranged"), Nar.OfText("ranged", 200_000));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        request.Headers.Range = new RangeHeaderValue(100, 1099);
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(obj.Body.AsSpan(100, 1000).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(obj.Body.Length, response.Content.Headers.ContentRange?.Length);
    }

    [Fact]
    public async Task Head_answers_headers_only_after_verification()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("headed"), Nar.OfText("headed", 50_000));

        using var narinfo = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, obj.StoreHash + ".narinfo"));
        Assert.Equal(HttpStatusCode.OK, narinfo.StatusCode);
        Assert.True(narinfo.Content.Headers.ContentLength > 0);

        using var nar = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"nar/{obj.StoreHash}.nar"));
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body.Length, nar.Content.Headers.ContentLength);
        Assert.Empty(await nar.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, proxy.Metrics.Sum("narguard.nar.verified"));
    }

    [Fact]
    public async Task Working_307_to_storage_is_followed_by_the_proxy_and_never_shown_to_the_client()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("redirected"), Nar.OfText("redirected", 100_000));
        proxy.Upstream.SetFault(obj.StoreHash, AtticEmulator.Fault.Redirect);

        using var nar = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, proxy.Upstream.StorageRequests(obj.StoreHash));
    }

    [Fact]
    public async Task Xz_multi_stream_bodies_verify()
    {
        await using var proxy = await ProxyFixture.StartAsync(emulator: new AtticEmulator.EmulatorOptions { Compression = AtticEmulator.BodyCompression.Xz, ChunkSize = 16 * 1024 });
        var obj = proxy.Upstream.Add(StorePaths.Make("xz"), Nar.OfText("xz", 100_000));

        var narinfo = await proxy.Client.GetStringAsync(obj.StoreHash + ".narinfo");
        Assert.Contains("Compression: xz\n", narinfo);
        using var nar = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Concurrent_requests_for_one_nar_share_one_upstream_fetch()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("herd"), Nar.OfText("herd", 4_000_000));
        await proxy.Client.GetStringAsync(obj.StoreHash + ".narinfo");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar")));

        Assert.All(responses, body => Assert.Equal(obj.Body, body));
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.nar.verified"));
    }
}
