using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NarGuard.Configuration;
using NarGuard.Resilience;
using NarGuard.Tests.Support;
using NarGuard.Upstream;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>The narinfo lookup across upstreams: in order, a "no" moves on at once, a dead upstream's circuit opens on its own, a slow one is hedged.</summary>
public sealed class NarInfoLookupTests
{
    private static async Task<string> NarInfoOf(AtticEmulatorServer upstream, string storeHash)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"{upstream.CacheUrl}/{storeHash}.narinfo");
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : "";

    [Fact]
    public async Task A_404_from_the_first_upstream_moves_to_the_second_and_the_url_routes_back_to_it()
    {
        await using var env = await TwoUpstreams.StartAsync();
        var obj = env.B.Add(StorePaths.Make("only-in-b"), Nar.OfText("b", 20_000));

        using var narInfo = await env.Proxy.Client.GetAsync(obj.StoreHash + ".narinfo");

        Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        Assert.Equal("b", Header(narInfo, "X-NarGuard-Upstream"));
        var text = await narInfo.Content.ReadAsStringAsync();
        Assert.Contains($"URL: nar/b/{obj.StoreHash}.nar.zst\n", text);
        // Everything else is B's narinfo as it was (signatures cover neither the URL nor this proxy).
        Assert.Equal((await NarInfoOf(env.B, obj.StoreHash)).Replace($"URL: nar/{obj.StoreHash}.nar\n", $"URL: nar/b/{obj.StoreHash}.nar.zst\n", StringComparison.Ordinal), text);
        Assert.Equal(1, env.A.NarInfoRequests(obj.StoreHash));

        using var nar = await env.Proxy.Client.GetAsync($"nar/b/{obj.StoreHash}.nar.zst");
        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, env.A.NarRequests(obj.StoreHash));
    }

    [Fact]
    public async Task The_first_upstream_wins_when_both_have_the_path_and_a_path_in_neither_is_404()
    {
        await using var env = await TwoUpstreams.StartAsync();
        var both = env.AddToBoth("both");

        using var narInfo = await env.Proxy.Client.GetAsync(both.StoreHash + ".narinfo");
        Assert.Equal("u1", Header(narInfo, "X-NarGuard-Upstream"));
        Assert.Equal(0, env.B.NarInfoRequests(both.StoreHash));

        using var missing = await env.Proxy.Client.GetAsync(StorePaths.HashOf(StorePaths.Make("nowhere")) + ".narinfo");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains(env.Proxy.Logs.Lines, l => l.StartsWith("narinfo not served", StringComparison.Ordinal) && l.Contains("u1: upstream_status 404", StringComparison.Ordinal) && l.Contains("b: upstream_status 404", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_first_upstream_down_opens_its_own_circuit_and_the_second_serves()
    {
        await using var b = await AtticEmulatorServer.StartAsync();
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            // Nothing listens on port 1: connection refused at once.
            o.Upstream = "http://127.0.0.1:1/main";
            o.Upstreams.Add(new UpstreamOptions { Name = "b", Url = b.CacheUrl });
            o.Resilience.NarInfoRetries = 0;
            o.Resilience.Circuit.MinimumThroughput = 3;
            o.NarInfoCache.Ttl = TimeSpan.Zero;
        });
        var set = proxy.App.Services.GetRequiredService<UpstreamSet>();
        var objects = Enumerable.Range(0, 5).Select(i => b.Add(StorePaths.Make("down-" + i), Nar.OfText("down" + i, 10_000))).ToList();

        foreach (var obj in objects)
        {
            using var narInfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
            Assert.Equal("b", Header(narInfo, "X-NarGuard-Upstream"));
            using var nar = await proxy.Client.GetAsync($"nar/b/{obj.StoreHash}.nar.zst");
            Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(UpstreamCircuitState.Open, set.Members[0].Circuit.State);
        Assert.Equal(UpstreamCircuitState.Closed, set.Members[1].Circuit.State);
        // The gauge has one set of state series per upstream; u1's "open" and b's "closed" are the ones at 1.
        Assert.Equal(2, proxy.Metrics.Sum("narguard.upstream.circuit.state"));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("upstream circuit opened", StringComparison.Ordinal) && l.Contains("upstream=u1", StringComparison.Ordinal));

        // /readyz follows the first upstream (down: 503) and lists every upstream's circuit.
        using var ready = await proxy.Client.GetAsync(proxy.BaseUrl + "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var upstreams = json.RootElement.GetProperty("upstreams").EnumerateArray().Select(u => (u.GetProperty("name").GetString(), u.GetProperty("circuit").GetString())).ToList();
        Assert.Equal([("u1", "Open"), ("b", "Closed")], upstreams);
    }

    [Fact]
    public async Task A_slow_first_upstream_is_hedged_after_the_delay_and_the_second_answers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var slow = WireMockServer.Start();
        await using var b = await AtticEmulatorServer.StartAsync();
        var obj = b.Add(StorePaths.Make("hedged"), Nar.OfText("hedged", 10_000));
        var text = await NarInfoOf(b, obj.StoreHash);
        var before = b.NarInfoRequests(obj.StoreHash);
        slow.Given(Request.Create().WithPath($"/main/{obj.StoreHash}.narinfo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(text).WithDelay(TimeSpan.FromSeconds(30)));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = slow.Url + "/main";
            o.Upstreams.Add(new UpstreamOptions { Name = "b", Url = b.CacheUrl });
            o.Hedging.Delay = TimeSpan.FromSeconds(1);
            o.Timeouts.NarInfo = TimeSpan.FromMinutes(2);
            o.Resilience.NarInfoAttemptTimeout = TimeSpan.FromMinutes(2);
        }, services: s => s.AddSingleton<TimeProvider>(time));

        var request = proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        // B is only asked once the (fake) hedging delay has passed; A would take 30 real seconds to answer.
        while (b.NarInfoRequests(obj.StoreHash) == before)
        {
            Assert.False(request.IsCompleted);
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(20);
        }
        using var narInfo = await request;

        Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        Assert.Equal("b", Header(narInfo, "X-NarGuard-Upstream"));
        Assert.Contains(proxy.Logs.Lines, l => l.StartsWith("narinfo hedged", StringComparison.Ordinal) && l.Contains("upstream=b", StringComparison.Ordinal));
    }
}
