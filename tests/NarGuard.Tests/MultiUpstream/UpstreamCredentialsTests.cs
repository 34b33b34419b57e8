using System.Net;
using System.Net.Http.Headers;
using NarGuard.Configuration;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>Each upstream gets its own token and Host; the client's Authorization goes to the first upstream only.</summary>
public sealed class UpstreamCredentialsTests
{
    [Fact]
    public async Task A_later_upstream_gets_its_own_token_and_host_never_the_clients_authorization()
    {
        using var b = WireMockServer.Start();
        b.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(404));
        await using var proxy = await ProxyFixture.StartAsync(o => o.Upstreams.Add(new UpstreamOptions
        {
            Name = "public",
            Url = b.Url + "/cache",
            Token = "b-token",
            Host = "cache.example",
        }));
        var hash = StorePaths.HashOf(StorePaths.Make("credentials"));

        using var request = new HttpRequestMessage(HttpMethod.Get, hash + ".narinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "client-attic-token");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(1, proxy.Upstream.NarInfoRequests(hash));
        var seen = Assert.Single(b.LogEntries).RequestMessage;
        Assert.Equal($"/cache/{hash}.narinfo", seen.Path);
        Assert.Equal("Bearer b-token", seen.Headers!["Authorization"].Single());
        Assert.Equal("cache.example", seen.Headers["Host"].Single());
    }
}
