using System.Net;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests;

/// <summary>
/// An upstream laid out like cache.nixos.org (nix32 hashes, FileHash/FileSize, NAR named by its file hash):
/// the proxy rewrites the URL so it carries the store hash, and checks FileSize/FileHash as well.
/// </summary>
public sealed class NixOrgStyleUpstreamTests
{
    private static NixOrgStyleObject Make(bool wrongFileHash = false)
    {
        var storePath = StorePaths.Make("nixorg");
        return NixOrgStyleObject.Make(storePath, Nar.OfText("nixorg", 150_000), references: storePath["/nix/store/".Length..],
            sigs: ["cache.nixos.org-1:AAAA", "other-1:BBBB"], wrongFileHash: wrongFileHash);
    }

    private static void Serve(WireMockServer server, NixOrgStyleObject obj)
    {
        server.Given(Request.Create().WithPath($"/{obj.StoreHash}.narinfo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/x-nix-narinfo").WithBody(obj.NarInfo));
        server.Given(Request.Create().WithPath("/" + obj.Url).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(obj.Body));
    }

    [Fact]
    public async Task Url_is_rewritten_to_carry_the_store_hash_and_everything_else_is_kept()
    {
        using var upstream = WireMockServer.Start();
        var obj = Make();
        Serve(upstream, obj);
        await using var proxy = await ProxyFixture.StartAsync(o => o.Upstream = upstream.Url + "/");
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl + "/") };

        var served = await http.GetStringAsync(obj.StoreHash + ".narinfo");
        using var nar = await http.GetAsync($"nar/{obj.StoreHash}.nar.zst");

        var expected = obj.NarInfo.Replace(obj.NarInfo.Split('\n')[1], $"URL: nar/{obj.StoreHash}.nar.zst");
        Assert.Equal(expected, served);
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_body_whose_file_hash_differs_is_rejected_even_when_the_nar_is_right()
    {
        using var upstream = WireMockServer.Start();
        var obj = Make(wrongFileHash: true);
        Serve(upstream, obj);
        await using var proxy = await ProxyFixture.StartAsync(o => o.Upstream = upstream.Url + "/");
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl + "/") };

        using var nar = await http.GetAsync($"nar/{obj.StoreHash}.nar.zst");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("hash_mismatch", nar.Headers.GetValues("X-NarGuard-Reason").Single());
    }
}
