using System.Net;
using NarGuard.Configuration;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>Failover between caches shaped like cache.nixos.org (FileHash, FileSize): another encoding of the same NAR.</summary>
public sealed class NixStyleFailoverTests
{
    private static (string NarInfo, byte[] Body) Encode(string storePath, byte[] nar, int level, string url)
    {
        var obj = NixOrgStyleObject.Make(storePath, nar, level, url, references: storePath["/nix/store/".Length..]);
        return (obj.NarInfo, obj.Body);
    }

    [Fact]
    public async Task A_streamed_failover_to_a_copy_of_another_size_is_served_whole_with_its_own_length()
    {
        var storePath = StorePaths.Make("nixstyle");
        var storeHash = StorePaths.HashOf(storePath);
        var nar = Nar.OfText("nixstyle", 400_000);
        var (aInfo, aBody) = Encode(storePath, nar, 1, "nar/a.nar.zst");
        var (bInfo, bBody) = Encode(storePath, nar, 19, "nar/b.nar.zst");
        Assert.NotEqual(aBody.Length, bBody.Length);
        using var a = WireMockServer.Start();
        using var b = WireMockServer.Start();
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = a.Url + "/main";
            o.Upstreams.Add(new UpstreamOptions { Name = "b", Url = b.Url + "/main" });
            o.Streaming.Mode = StreamingMode.Always;
            // Bytes go out at once, so a wrong Content-Length would be on the wire before the end.
            o.Streaming.HoldBackBytes = 1;
        });
        a.Given(Request.Create().WithPath($"/main/{storeHash}.narinfo").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(aInfo));
        a.Given(Request.Create().WithPath("/main/nar/a.nar.zst").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(Array.Empty<byte>()));
        b.Given(Request.Create().WithPath($"/main/{storeHash}.narinfo").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(bInfo));
        b.Given(Request.Create().WithPath("/main/nar/b.nar.zst").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(bBody));

        // The client holds A's narinfo (FileSize of the level-1 encoding); A's body is empty (nothing goes out).
        using var response = await proxy.Client.GetAsync($"nar/{storeHash}.nar.zst");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("b", response.Headers.GetValues("X-NarGuard-Upstream").Single());
        // Not streamed: the stream's Content-Length would have been A's FileSize.
        Assert.Equal("upstream", response.Headers.GetValues("X-NarGuard-Source").Single());
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(bBody, body);
        Assert.Equal(bBody.Length, response.Content.Headers.ContentLength);
        Assert.Equal(1, proxy.Metrics.Sum("narguard.upstream.failovers", "narguard.outcome", "served"));
    }
}
