using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using AtticEmulator;
using NarGuard.Configuration;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>
/// Streamed mode with two upstreams: a failure before any byte went out fails over within the same response; a late
/// failure aborts the stream (as with one upstream), the Range retry gets 404, and the client's full retry fails over.
/// </summary>
public sealed class StreamedFailoverTests
{
    private static byte[] BigNar() => Nar.OfFile(RandomNumberGenerator.GetBytes(1_500_000));

    private static Task<TwoUpstreams> StartAsync() => TwoUpstreams.StartAsync(o =>
    {
        o.Streaming.Mode = StreamingMode.Always;
        o.Streaming.MinNarSize = 0;
    });

    [Fact]
    public async Task A_failure_before_the_first_byte_streams_the_second_upstreams_copy_instead()
    {
        await using var env = await StartAsync();
        var path = StorePaths.Make("streamed-failover");
        var nar = BigNar();
        var obj = env.A.Add(path, nar);
        env.B.Add(path, nar);
        env.A.SetFault(obj.StoreHash, Fault.Empty);

        using var response = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upstream-streamed", response.Headers.GetValues("X-NarGuard-Source").Single());
        Assert.Equal("b", response.Headers.GetValues("X-NarGuard-Upstream").Single());
        Assert.Equal(obj.Body, await response.Content.ReadAsByteArrayAsync());
        // The client's body ends as soon as the NAR verified; the spool commit and the counting follow it.
        await Eventually.TrueAsync(() => env.Proxy.Metrics.Sum("narguard.requests", "narguard.outcome", "ok_streamed") == 1, "the streamed request counted");
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "served"));
    }

    [Fact]
    public async Task A_late_failure_aborts_the_range_retry_gets_404_and_a_full_retry_fails_over()
    {
        await using var env = await StartAsync();
        var path = StorePaths.Make("streamed-late");
        var nar = BigNar();
        var obj = env.A.Add(path, nar);
        env.B.Add(path, nar);
        env.A.SetFault(obj.StoreHash, Fault.Corrupt);

        using (var response = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(Stream.Null));
        }
        Assert.Equal(0, env.B.NarRequests(obj.StoreHash));

        // Nix's Range retry: B's copy is not provably the same file (Attic sends no FileHash), so 404.
        using var range = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        range.Headers.Range = new RangeHeaderValue(1000, null);
        using (var retry = await env.Proxy.Client.SendAsync(range))
        {
            Assert.Equal(HttpStatusCode.NotFound, retry.StatusCode);
        }

        // A full retry (Nix without Accept-Ranges support, or the next build) gets B's intact copy.
        using var full = await env.Proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("b", full.Headers.GetValues("X-NarGuard-Upstream").Single());
        Assert.Equal(obj.Body, await full.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.nar.rejections", "narguard.reason", "hash_mismatch"));
        Assert.Equal(1, env.Proxy.Metrics.Sum("narguard.requests", "narguard.outcome", "aborted"));
    }
}
