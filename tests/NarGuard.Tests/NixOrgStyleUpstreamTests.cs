using System.Net;
using System.Security.Cryptography;
using NarGuard.Core.Hashing;
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
    private static (string StorePath, string StoreHash, byte[] Nar, byte[] Body, string NarInfo) Make(bool wrongFileHash = false)
    {
        var storePath = StorePaths.Make("nixorg");
        var storeHash = StorePaths.HashOf(storePath);
        var nar = Nar.OfText("nixorg", 150_000);
        using var compressor = new ZstdSharp.Compressor(3);
        var body = compressor.Wrap(nar).ToArray();
        var fileHash = SHA256.HashData(body);
        if (wrongFileHash)
        {
            fileHash[0] ^= 1;
        }
        var fileHashText = new NixHash(fileHash).ToNix32String();
        var narInfo = $"""
            StorePath: {storePath}
            URL: nar/{fileHashText["sha256:".Length..]}.nar.zst
            Compression: zstd
            FileHash: {fileHashText}
            FileSize: {body.Length}
            NarHash: {new NixHash(SHA256.HashData(nar)).ToNix32String()}
            NarSize: {nar.Length}
            References: {storePath["/nix/store/".Length..]}
            Sig: cache.nixos.org-1:AAAA
            Sig: other-1:BBBB

            """.Replace("\r\n", "\n");
        return (storePath, storeHash, nar, body, narInfo);
    }

    private static void Serve(WireMockServer server, (string StorePath, string StoreHash, byte[] Nar, byte[] Body, string NarInfo) obj)
    {
        server.Given(Request.Create().WithPath($"/{obj.StoreHash}.narinfo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/x-nix-narinfo").WithBody(obj.NarInfo));
        var url = obj.NarInfo.Split('\n').Single(l => l.StartsWith("URL: ", StringComparison.Ordinal))["URL: ".Length..];
        server.Given(Request.Create().WithPath("/" + url).UsingGet())
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
