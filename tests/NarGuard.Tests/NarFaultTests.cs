using System.Net;
using AtticEmulator;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests;

/// <summary>Every way the incident (and worse) can break a NAR body: the client always sees a 404, the reason is counted and logged, nothing partial stays in the spool.</summary>
public sealed class NarFaultTests
{
    public static TheoryData<Fault, string> NarFaults => new()
    {
        { Fault.Empty, "empty" },
        { Fault.Truncated, "truncated" },
        { Fault.Corrupt, "hash_mismatch" },
        { Fault.Garbage, "decompress_error" },
        { Fault.NarServerError, "upstream_status" },
        { Fault.IncompleteNar, "upstream_status" },
        { Fault.NarNotFound, "upstream_status" },
        { Fault.Unauthorized, "upstream_status" },
        { Fault.Reset, "upstream_error" },
        { Fault.Stall, "timeout" },
        { Fault.RedirectBroken, "empty" },
        { Fault.RedirectForeign, "redirect_denied" },
        { Fault.SizeBomb, "size_mismatch" },
    };

    [Theory]
    [MemberData(nameof(NarFaults))]
    public async Task Broken_nar_becomes_404_with_its_reason_recorded(Fault fault, string reason)
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("broken-" + fault.ToString().ToLowerInvariant()), Nar.OfText("broken", 500_000));
        proxy.Upstream.SetFault(obj.StoreHash, fault);

        var narinfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        Assert.Equal(HttpStatusCode.OK, narinfo.StatusCode);
        var narinfoText = await narinfo.Content.ReadAsStringAsync();
        var narUrl = narinfoText.Split('\n').Single(l => l.StartsWith("URL: ", StringComparison.Ordinal))["URL: ".Length..];

        using var nar = await proxy.Client.GetAsync(narUrl);

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal(reason, nar.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(1, proxy.Metrics.Sum("narguard.nar.rejections", "narguard.reason", reason));
        Assert.Equal(0, proxy.Metrics.Sum("narguard.nar.verified"));
        Assert.Empty(proxy.SpoolNarFiles());
        Assert.Empty(proxy.SpoolTempFiles());
        var line = Assert.Single(proxy.Logs.Lines, l => l.StartsWith("NAR rejected", StringComparison.Ordinal));
        Assert.Contains($"reason={reason}", line);
        Assert.Contains($"store_path={obj.StorePath}", line);
        Assert.Contains($"expected_nar_size={(fault == Fault.SizeBomb ? obj.NarSize / 2 : obj.NarSize)}", line);
        Assert.DoesNotContain("X-Amz-Signature", line);
    }

    [Fact]
    public async Task A_rejected_nar_is_quarantined_retries_get_404_without_touching_the_upstream_and_its_narinfo_goes_too()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("quarantined"), Nar.OfText("q", 100_000));
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Empty);

        using var first = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Healthy);
        using var retry = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        using var narinfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, retry.StatusCode);
        Assert.Equal("quarantined", retry.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(HttpStatusCode.NotFound, narinfo.StatusCode);
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task Quarantine_expires_and_a_repaired_upstream_is_served_again()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.Quarantine.Ttl = TimeSpan.FromMilliseconds(300));
        var obj = proxy.Upstream.Add(StorePaths.Make("repaired"), Nar.OfText("r", 100_000));
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Empty);
        using var broken = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Healthy);
        await Task.Delay(400);

        using var repaired = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, broken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repaired.StatusCode);
        Assert.Equal(obj.Body, await repaired.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Concurrent_requests_for_a_broken_nar_all_get_404_from_one_fetch()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("herd-broken"), Nar.OfText("hb", 2_000_000));
        proxy.Upstream.SetFault(obj.StoreHash, Fault.Truncated);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal(1, proxy.Upstream.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task Nar_of_an_unknown_path_is_404()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        using var response = await proxy.Client.GetAsync("nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.nar");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("upstream_status", response.Headers.GetValues("X-NarGuard-Reason").Single());
    }

    [Fact]
    public async Task Nar_name_that_the_narinfo_does_not_name_is_404()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("named"), Nar.OfText("n", 10_000));
        using var response = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar.xz");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("narinfo_invalid", response.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(0, proxy.Upstream.NarRequests(obj.StoreHash));
    }
}
