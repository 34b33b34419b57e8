using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>
/// Host header games. Whatever Host a client sends, only the configured upstream is contacted, under its own name;
/// with AllowedHosts set, other names are refused before any I/O, except on the operational endpoints.
/// </summary>
public sealed class HostHeaderTests
{
    private static string Get(string target, string? host) =>
        $"GET {target} HTTP/1.1\r\n{(host is null ? "" : $"Host: {host}\r\n")}Connection: close\r\n\r\n";

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("evil.example")]
    [InlineData("localhost:1")]
    [InlineData("[::1]:22")]
    public async Task Without_an_allow_list_any_host_is_served_from_the_configured_upstream_under_its_own_name(string host)
    {
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/_api/v1/cache-config/main").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("StoreDir: /nix/store\n"));
        await using var proxy = await ProxyFixture.StartAsync(o => o.Upstream = upstream.Url + "/main");

        var response = await RawHttp.SendAsync(new Uri(proxy.BaseUrl), Get("/_api/v1/cache-config/main", host));

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(upstream.LogEntries).RequestMessage;
        Assert.Equal(new Uri(upstream.Url!).Authority, seen.Headers!["Host"].Single());
    }

    [Theory]
    [InlineData("evil.example", 400)]
    [InlineData("169.254.169.254", 400)]
    [InlineData("cache.example.evil", 400)]
    [InlineData("evil.cache.example", 400)]
    [InlineData(null, 400)]
    [InlineData("cache.example", 200)]
    [InlineData("CACHE.example:5080", 200)]
    [InlineData("127.0.0.1", 200)]
    public async Task With_an_allow_list_other_hosts_get_400_before_any_upstream_request(string? host, int expected)
    {
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/_api/v1/cache-config/main").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("StoreDir: /nix/store\n"));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/main";
            o.AllowedHosts = ["cache.example", "127.0.0.1"];
        });

        // HTTP/1.0 may omit Host; HTTP/1.1 may not (Kestrel refuses that itself).
        var request = host is null ? "GET /_api/v1/cache-config/main HTTP/1.0\r\n\r\n" : Get("/_api/v1/cache-config/main", host);
        var response = await RawHttp.SendAsync(new Uri(proxy.BaseUrl), request);

        Assert.Equal(expected, response.Status);
        Assert.Equal(expected == 200 ? 1 : 0, upstream.LogEntries.Count());
        if (expected == 400)
        {
            Assert.Contains("X-NarGuard-Reason: host_not_allowed", response.Head);
            Assert.Equal(1, proxy.Metrics.Sum("narguard.requests", "narguard.outcome", "host_not_allowed"));
        }
    }

    [Fact]
    public async Task Probes_reach_the_operational_endpoints_by_any_host()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.AllowedHosts = ["cache.example"]);

        var health = await RawHttp.SendAsync(new Uri(proxy.BaseUrl), Get("/healthz", "10.1.2.3:5080"));
        var metrics = await RawHttp.SendAsync(new Uri(proxy.BaseUrl), Get("/metrics", "10.1.2.3:5080"));

        Assert.Equal(200, health.Status);
        Assert.Equal(200, metrics.Status);
    }
}
