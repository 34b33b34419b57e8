using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using AtticEmulator;
using NarGuard.Configuration;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests;

/// <summary>
/// Streamed mode: bytes reach the client while they verify, the last ones are held back, and a late failure aborts
/// the connection (never a clean end) so the client's retry meets the quarantine's 404.
/// </summary>
public sealed class StreamingTests
{
    // Random bytes do not compress: the body is about as large as the NAR, well past the hold-back window.
    private static byte[] BigNar() => Nar.OfFile(RandomNumberGenerator.GetBytes(1_500_000));

    private static Task<ProxyFixture> StartAsync(StreamingMode mode = StreamingMode.Always, long minNarSize = 0) =>
        ProxyFixture.StartAsync(o =>
        {
            o.Streaming.Mode = mode;
            o.Streaming.MinNarSize = minNarSize;
        });

    [Fact]
    public async Task Healthy_nar_streams_completely_and_lands_in_the_spool()
    {
        await using var proxy = await StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("streamed"), BigNar());

        using var response = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upstream-streamed", response.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(obj.Body, await response.Content.ReadAsByteArrayAsync());

        // The client's body ends once the NAR verified; the spool commit (fsync, rename) follows it.
        await WaitForAsync(() => proxy.SpoolNarFiles().Length == 1 && proxy.Metrics.Sum("narguard.requests", "narguard.outcome", "ok_streamed") == 1);
        using var again = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal("spool", again.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Equal(obj.Body, await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.requests", "narguard.outcome", "ok_streamed"));
    }

    [Theory]
    [InlineData(Fault.Corrupt, "hash_mismatch")]
    [InlineData(Fault.Truncated, "truncated")]
    [InlineData(Fault.SizeBomb, "size_mismatch")]
    public async Task Late_failure_aborts_the_stream_and_the_retry_gets_404(Fault fault, string reason)
    {
        await using var proxy = await StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("streamed-broken"), BigNar());
        proxy.Upstream.SetFault(obj.StoreHash, fault);

        using var response = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        // The body must never end cleanly: a clean end would let the client take it for complete.
        await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(received));
        Assert.True(received.Length < obj.Body.Length, $"client got {received.Length} of {obj.Body.Length} bytes");
        Assert.True(received.Length > 0, "bytes flowed before the failure");

        // Nix retries with Range (the response said Accept-Ranges: bytes), or in full: both get 404 now.
        using var range = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        range.Headers.Range = new RangeHeaderValue(received.Length, null);
        using var retry = await proxy.Client.SendAsync(range);
        Assert.Equal(HttpStatusCode.NotFound, retry.StatusCode);
        Assert.Equal("quarantined", retry.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(1, proxy.Metrics.Sum("narguard.nar.rejections", "narguard.reason", reason));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.requests", "narguard.outcome", "aborted"));
        Assert.Empty(proxy.SpoolNarFiles());
        Assert.Empty(proxy.SpoolTempFiles());
    }

    [Fact]
    public async Task A_failure_before_any_byte_is_still_a_plain_404()
    {
        await using var proxy = await StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("streamed-empty"), BigNar());
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Empty);

        using var response = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("empty", response.Headers.GetValues("X-NarGuard-Reason").Single());
    }

    [Fact]
    public async Task Small_nars_in_large_mode_are_spooled_first()
    {
        await using var proxy = await StartAsync(StreamingMode.Large, minNarSize: 10_000_000);
        var obj = proxy.Upstream.Add(StorePaths.Make("small"), BigNar());

        using var response = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal("upstream", response.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Equal(obj.Body.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Range_requests_on_a_cold_nar_are_served_from_the_spool_after_verification()
    {
        await using var proxy = await StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("cold-range"), BigNar());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(obj.Body.AsSpan(1000, 1000).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Concurrent_requests_share_one_fetch_while_one_of_them_streams()
    {
        await using var proxy = await StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("herd-streamed"), BigNar());

        var bodies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => proxy.Client.GetByteArrayAsync($"nar/{obj.StoreHash}.nar")));

        Assert.All(bodies, body => Assert.Equal(obj.Body, body));
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task A_streaming_client_that_hangs_up_does_not_stop_the_fetch_for_the_spool()
    {
        await using var proxy = await StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("hangup"), BigNar());

        using (var response = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar", HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.ReadExactlyAsync(new byte[1000]);
        }

        // The spool copy arrives although the client left after 1000 bytes.
        await WaitForAsync(() => proxy.SpoolNarFiles().Length == 1);
        using var again = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(obj.Body, await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));
    }

    // Bounded polling for effects that follow the response (a condition, not a duration, is what is asserted).
    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(condition());
    }
}
