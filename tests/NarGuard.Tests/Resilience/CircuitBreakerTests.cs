using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NarGuard.Configuration;
using NarGuard.Resilience;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Resilience;

/// <summary>
/// The circuit in the real host against the Attic emulator, on a fake clock: it opens after repeated upstream
/// failures, answers 404 circuit_open without asking the upstream while open, keeps serving the spool, and closes
/// after a successful half-open probe.
/// </summary>
public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(30);

    private static void Configure(NarGuardOptions options)
    {
        options.Resilience.NarInfoRetries = 0;
        options.Resilience.Circuit.MinimumThroughput = 4;
        options.Resilience.Circuit.BreakDuration = Break;
        // Every request asks the upstream (or the circuit): no narinfo reuse, no quarantine in the way.
        options.NarInfoCache.Ttl = TimeSpan.Zero;
        options.Quarantine.Ttl = TimeSpan.Zero;
    }

    private static async Task<HttpResponseMessage> GetAsync(ProxyFixture proxy, string path)
    {
        var response = await proxy.Client.GetAsync(path);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static string Reason(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-NarGuard-Reason", out var values) ? values.Single() : "";

    [Fact]
    public async Task Upstream_down_opens_the_circuit_spool_still_serves_and_recovery_closes_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var first = await AtticEmulatorServer.StartAsync();
        var port = new Uri(first.BaseUrl).Port;
        await using var proxy = await ProxyFixture.StartAsync(Configure, upstream: first, services: s => s.AddSingleton<TimeProvider>(time));
        var circuit = proxy.App.Services.GetRequiredService<UpstreamCircuit>();
        var transitions = new List<UpstreamCircuitState>();
        circuit.StateChanged += s => { lock (transitions) { transitions.Add(s); } };
        var spooledNar = Nar.OfText("spooled", 30_000);
        var spooled = first.Add(StorePaths.Make("spooled"), spooledNar);
        using (var warm = await GetAsync(proxy, $"nar/{spooled.StoreHash}.nar"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // The upstream goes away: connection refused, again and again, until the circuit opens.
        await first.DisposeAsync();
        var failures = 0;
        while (circuit.State != UpstreamCircuitState.Open && failures < 20)
        {
            using var failed = await GetAsync(proxy, StorePaths.HashOf(StorePaths.Make("lost")) + ".narinfo");
            Assert.Equal(HttpStatusCode.NotFound, failed.StatusCode);
            Assert.Equal("upstream_error", Reason(failed));
            failures++;
        }
        Assert.Equal(UpstreamCircuitState.Open, circuit.State);
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("upstream circuit opened", StringComparison.Ordinal));

        // It comes back on the same port, but the circuit is still open: nobody asks it.
        await using var second = await AtticEmulatorServer.StartAsync(new EmulatorOptions { Listen = new Uri($"http://127.0.0.1:{port}") });
        var fresh = second.Add(StorePaths.Make("fresh"), Nar.OfText("fresh", 30_000));
        second.Add(spooled.StorePath, spooledNar);
        using (var narInfo = await GetAsync(proxy, fresh.StoreHash + ".narinfo"))
        using (var nar = await GetAsync(proxy, $"nar/{fresh.StoreHash}.nar"))
        {
            Assert.Equal(HttpStatusCode.NotFound, narInfo.StatusCode);
            Assert.Equal("circuit_open", Reason(narInfo));
            Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
            Assert.Equal("circuit_open", Reason(nar));
        }
        using (var narInfo = await GetAsync(proxy, spooled.StoreHash + ".narinfo"))
        using (var nar = await GetAsync(proxy, $"nar/{spooled.StoreHash}.nar"))
        {
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
            Assert.Equal("spool", narInfo.Headers.GetValues("X-NarGuard-Source").Single());
            Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
            Assert.Equal(spooled.Body, await nar.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(0, second.NarInfoRequests(fresh.StoreHash) + second.NarRequests(fresh.StoreHash));
        Assert.Equal(0, second.NarInfoRequests(spooled.StoreHash) + second.NarRequests(spooled.StoreHash));

        // The break is over: the next request probes (half-open), succeeds, and closes the circuit.
        time.Advance(Break);
        using (var narInfo = await GetAsync(proxy, fresh.StoreHash + ".narinfo"))
        {
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        }
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
        Assert.Equal([UpstreamCircuitState.Open, UpstreamCircuitState.HalfOpen, UpstreamCircuitState.Closed], transitions);
        using var freshNar = await GetAsync(proxy, $"nar/{fresh.StoreHash}.nar");
        Assert.Equal(fresh.Body, await freshNar.Content.ReadAsByteArrayAsync());
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("upstream circuit closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upstream_5xx_opens_the_circuit_and_the_live_upstream_gets_no_request_while_it_is_open()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await ProxyFixture.StartAsync(Configure, services: s => s.AddSingleton<TimeProvider>(time));
        var circuit = proxy.App.Services.GetRequiredService<UpstreamCircuit>();
        var broken = Enumerable.Range(0, 6).Select(i => proxy.Upstream.Add(StorePaths.Make("broken" + i), Nar.OfText("b" + i, 5_000))).ToList();
        foreach (var obj in broken)
        {
            proxy.Upstream.SetFault(obj.StoreHash, Fault.NarInfoServerError);
        }

        foreach (var obj in broken.Take(4))
        {
            using var failed = await GetAsync(proxy, obj.StoreHash + ".narinfo");
            Assert.Equal("upstream_status", Reason(failed));
        }
        Assert.Equal(UpstreamCircuitState.Open, circuit.State);

        // Healthy again upstream, but the circuit is open: refused here, unseen there.
        var healthy = proxy.Upstream.Add(StorePaths.Make("healthy"), Nar.OfText("h", 5_000));
        using (var refused = await GetAsync(proxy, healthy.StoreHash + ".narinfo"))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Equal("circuit_open", Reason(refused));
        }
        using (var refused = await GetAsync(proxy, broken[5].StoreHash + ".narinfo"))
        {
            Assert.Equal("circuit_open", Reason(refused));
        }
        Assert.Equal(0, proxy.Upstream.NarInfoRequests(healthy.StoreHash));
        Assert.Equal(0, proxy.Upstream.NarInfoRequests(broken[5].StoreHash));

        // A half-open probe that fails opens it again; one that succeeds closes it.
        time.Advance(Break);
        using (var probe = await GetAsync(proxy, broken[5].StoreHash + ".narinfo"))
        {
            Assert.Equal("upstream_status", Reason(probe));
        }
        Assert.Equal(UpstreamCircuitState.Open, circuit.State);
        time.Advance(Break);
        using (var probe = await GetAsync(proxy, healthy.StoreHash + ".narinfo"))
        {
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
        Assert.Equal(1, proxy.Upstream.NarInfoRequests(healthy.StoreHash));
    }

    [Fact]
    public async Task A_nar_refused_by_the_open_circuit_is_not_quarantined()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            Configure(o);
            o.NarInfoCache.Ttl = TimeSpan.FromMinutes(10);
            o.Quarantine.Ttl = TimeSpan.FromMinutes(10);
        }, services: s => s.AddSingleton<TimeProvider>(time));
        var circuit = proxy.App.Services.GetRequiredService<UpstreamCircuit>();
        var obj = proxy.Upstream.Add(StorePaths.Make("later"), Nar.OfText("later", 5_000));
        // The narinfo is cached, so the NAR request goes straight to the NAR open, which the circuit refuses.
        using (var narInfo = await GetAsync(proxy, obj.StoreHash + ".narinfo"))
        {
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        }
        for (var i = 0; i < 4 && circuit.State != UpstreamCircuitState.Open; i++)
        {
            var lost = proxy.Upstream.Add(StorePaths.Make("lost" + i), Nar.OfText("l", 1_000));
            proxy.Upstream.SetFault(lost.StoreHash, Fault.NarInfoServerError);
            using var failed = await GetAsync(proxy, lost.StoreHash + ".narinfo");
        }
        Assert.Equal(UpstreamCircuitState.Open, circuit.State);

        using (var refused = await GetAsync(proxy, $"nar/{obj.StoreHash}.nar"))
        {
            Assert.Equal("circuit_open", Reason(refused));
        }
        time.Advance(Break);
        using var served = await GetAsync(proxy, $"nar/{obj.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(obj.Body, await served.Content.ReadAsByteArrayAsync());
    }
}
