using System.Net;
using System.Net.Http.Headers;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Serving;

/// <summary>The byte-range rules of spool answers (SpoolFileResponse): what Nix's resume and other clients get.</summary>
public sealed class SpoolRangeTests
{
    private static async Task<(ProxyFixture Proxy, AtticEmulator.StoreObject Obj)> SpooledAsync(string name, int size)
    {
        var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make(name), Nar.OfText(name, size));
        using var warm = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        return (proxy, obj);
    }

    private static async Task<HttpResponseMessage> GetAsync(ProxyFixture proxy, AtticEmulator.StoreObject obj, string? range, string? ifRange = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        if (range is not null)
        {
            request.Headers.TryAddWithoutValidation("Range", range);
        }
        if (ifRange is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Range", ifRange);
        }
        return await proxy.Client.SendAsync(request);
    }

    [Fact]
    public async Task An_open_ended_range_resumes_from_the_offset_as_nix_does()
    {
        var (proxy, obj) = await SpooledAsync("resume", 700_000);
        await using var _ = proxy;
        var offset = obj.Body.Length / 3 + 7;

        using var response = await GetAsync(proxy, obj, $"bytes={offset}-");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(obj.Body.AsSpan(offset).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(new ContentRangeHeaderValue(offset, obj.Body.Length - 1, obj.Body.Length), response.Content.Headers.ContentRange);
        Assert.Equal(obj.Body.Length - offset, response.Content.Headers.ContentLength);
        Assert.Equal("spool", response.Headers.GetValues("X-NarGuard-Source").Single());
    }

    [Fact]
    public async Task A_suffix_range_gets_the_last_bytes_and_an_end_past_the_file_is_clamped()
    {
        var (proxy, obj) = await SpooledAsync("suffix", 300_000);
        await using var _ = proxy;

        using (var suffix = await GetAsync(proxy, obj, "bytes=-500"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
            Assert.Equal(obj.Body.AsSpan(obj.Body.Length - 500).ToArray(), await suffix.Content.ReadAsByteArrayAsync());
        }
        using (var clamped = await GetAsync(proxy, obj, $"bytes=10-{obj.Body.Length + 5000}"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, clamped.StatusCode);
            Assert.Equal(obj.Body.AsSpan(10).ToArray(), await clamped.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task A_range_past_the_end_is_416_with_the_length()
    {
        var (proxy, obj) = await SpooledAsync("past", 100_000);
        await using var _ = proxy;

        using var response = await GetAsync(proxy, obj, $"bytes={obj.Body.Length}-");

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal(obj.Body.Length, response.Content.Headers.ContentRange?.Length);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=0-9,20-29", null)]
    [InlineData("bytes=0-9", "\"some-etag\"")]
    [InlineData("items=0-9", null)]
    [InlineData("bytes=garbage", null)]
    public async Task Ranges_it_does_not_serve_get_the_whole_verified_file(string range, string? ifRange)
    {
        var (proxy, obj) = await SpooledAsync("whole", 150_000);
        await using var _ = proxy;

        using var response = await GetAsync(proxy, obj, range, ifRange);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(obj.Body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_with_a_range_answers_the_range_headers_without_a_body()
    {
        var (proxy, obj) = await SpooledAsync("headrange", 150_000);
        await using var _ = proxy;

        using var response = await GetAsync(proxy, obj, "bytes=100-199", method: HttpMethod.Head);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(100, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Served_bytes_are_counted_as_sent()
    {
        var (proxy, obj) = await SpooledAsync("counted", 200_000);
        await using var _ = proxy;
        var before = proxy.Metrics.Sum("narguard.nar.served");

        using (var range = await GetAsync(proxy, obj, "bytes=0-999"))
        {
            await range.Content.ReadAsByteArrayAsync();
        }
        using (var head = await GetAsync(proxy, obj, null, method: HttpMethod.Head))
        {
        }

        Assert.Equal(1000, proxy.Metrics.Sum("narguard.nar.served") - before);
    }
}
