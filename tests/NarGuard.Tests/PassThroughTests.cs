using System.Net;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests;

public sealed class PassThroughTests
{
    [Fact]
    public async Task Nix_cache_info_is_answered_by_the_proxy_from_the_CacheInfo_settings()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.CacheInfo.Priority = 30);
        var text = await proxy.Client.GetStringAsync("nix-cache-info");
        // With several upstreams there is no one file to pass through; the proxy says what it serves (docs/ARCHITECTURE.md).
        Assert.Equal("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n", text);
    }

    [Fact]
    public async Task Api_calls_are_forwarded_with_the_clients_authorization_or_the_proxys_token_and_host()
    {
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/_api/v1/get-missing-paths").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"missing_paths\":[]}"));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/main";
            o.UpstreamToken = "proxy-token";
            o.UpstreamHost = "cache.example.org";
        });
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        using var anonymous = await http.PostAsync("/_api/v1/get-missing-paths", new StringContent("{\"cache\":\"main\",\"store_path_hashes\":[]}"));
        using var withOwn = new HttpRequestMessage(HttpMethod.Post, "/_api/v1/get-missing-paths") { Content = new StringContent("{}") };
        withOwn.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "client-token");
        using var own = await http.SendAsync(withOwn);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal("{\"missing_paths\":[]}", await anonymous.Content.ReadAsStringAsync());
        var requests = upstream.LogEntries.Select(e => e.RequestMessage).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal("Bearer proxy-token", requests[0].Headers!["Authorization"].Single());
        Assert.Equal("Bearer client-token", requests[1].Headers!["Authorization"].Single());
        Assert.All(requests, r => Assert.StartsWith("cache.example.org", r.Headers!["Host"].Single()));
        Assert.Equal("{\"cache\":\"main\",\"store_path_hashes\":[]}", requests[0].Body);
    }

    [Theory]
    [InlineData(NarGuard.Publication.PublicationGateMode.Observe)]
    [InlineData(NarGuard.Publication.PublicationGateMode.Off)]
    public async Task A_push_without_its_own_token_is_never_given_the_proxys(NarGuard.Publication.PublicationGateMode gate)
    {
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/_api/v1/upload-path").UsingPut())
            .RespondWith(Response.Create().WithStatusCode(401).WithBody("{\"code\":401,\"error\":\"Unauthorized\",\"message\":\"no token\"}"));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/main";
            o.UpstreamToken = "proxy-token";
            o.Publication.Gate = gate;
        });
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        using var push = new HttpRequestMessage(HttpMethod.Put, "/_api/v1/upload-path") { Content = new ByteArrayContent(new byte[64]) };
        push.Headers.TryAddWithoutValidation("X-Attic-Nar-Info", "{\"cache\":\"main\",\"store_path_hash\":\"0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj\",\"store_path\":\"/nix/store/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj-x\",\"references\":[],\"nar_hash\":\"sha256:0000000000000000000000000000000000000000000000000000\",\"nar_size\":64}");
        using var answer = await http.SendAsync(push);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        var request = Assert.Single(upstream.LogEntries).RequestMessage;
        Assert.False(request.Headers?.ContainsKey("Authorization") ?? false);
    }
}
