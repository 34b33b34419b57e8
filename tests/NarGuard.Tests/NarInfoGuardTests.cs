using System.Net;
using AtticEmulator;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests;

/// <summary>A narinfo is never answered with a 5xx: Nix up to 2.31 turns that into a hard error for the whole build.</summary>
public sealed class NarInfoGuardTests
{
    public static TheoryData<Fault, string> NarInfoFaults => new()
    {
        { Fault.NarInfoServerError, "upstream_status" },
        { Fault.NarInfoGarbage, "narinfo_invalid" },
    };

    [Theory]
    [MemberData(nameof(NarInfoFaults))]
    public async Task Broken_narinfo_becomes_404(Fault fault, string reason)
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var obj = proxy.Upstream.Add(StorePaths.Make("narinfo-" + fault), Nar.OfText("x", 1000));
        proxy.Upstream.SetFault(obj.StoreHash, fault);

        using var response = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(reason, response.Headers.GetValues("X-NarGuard-Reason").Single());
    }

    [Fact]
    public async Task Missing_path_is_404()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        using var response = await proxy.Client.GetAsync("0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.narinfo");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Unreachable_upstream_is_404_not_502()
    {
        var upstream = await AtticEmulatorServer.StartAsync();
        var url = upstream.CacheUrl;
        await upstream.DisposeAsync();
        await using var unused = await AtticEmulatorServer.StartAsync();
        await using var proxy = await ProxyFixture.StartAsync(o => o.Upstream = url, upstream: unused);

        using var narinfo = await proxy.Client.GetAsync("0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.narinfo");
        using var nar = await proxy.Client.GetAsync("nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.nar");

        Assert.Equal(HttpStatusCode.NotFound, narinfo.StatusCode);
        Assert.Equal("upstream_error", narinfo.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
    }

    [Fact]
    public async Task Private_cache_without_a_token_is_404_and_with_the_configured_token_is_served()
    {
        var emulator = new EmulatorOptions { BearerToken = "s3cret-token" };
        await using (var anonymous = await ProxyFixture.StartAsync(emulator: emulator))
        {
            var obj = anonymous.Upstream.Add(StorePaths.Make("private"), Nar.OfText("p", 1000));
            using var denied = await anonymous.Client.GetAsync(obj.StoreHash + ".narinfo");
            Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        }

        await using var withToken = await ProxyFixture.StartAsync(o => o.UpstreamToken = "s3cret-token", emulator: emulator);
        var served = withToken.Upstream.Add(StorePaths.Make("private"), Nar.OfText("p", 1000));
        using var narinfo = await withToken.Client.GetAsync(served.StoreHash + ".narinfo");
        using var nar = await withToken.Client.GetAsync($"nar/{served.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.OK, narinfo.StatusCode);
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.DoesNotContain(withToken.Logs.Lines, l => l.Contains("s3cret-token", StringComparison.Ordinal));
    }
}
