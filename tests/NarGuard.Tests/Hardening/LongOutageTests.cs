using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NarGuard.Resilience;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>The upstream unreachable for ten minutes (on a fake clock), then back: the proxy recovers by itself.</summary>
public sealed class LongOutageTests
{
    [Fact]
    public async Task Ten_minutes_without_the_upstream_then_it_returns_and_the_proxy_serves_again_unaided()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var first = await AtticEmulatorServer.StartAsync();
        var port = new Uri(first.BaseUrl).Port;
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Resilience.NarInfoRetries = 0;
            o.Resilience.Circuit.MinimumThroughput = 4;
            o.Resilience.Circuit.BreakDuration = TimeSpan.FromSeconds(30);
            o.NarInfoCache.Ttl = TimeSpan.Zero;
            o.Quarantine.Ttl = TimeSpan.FromSeconds(60);
            o.Spool.ScrubInterval = TimeSpan.Zero;
        }, upstream: first, services: s => s.AddSingleton<TimeProvider>(time));
        var circuit = proxy.App.Services.GetRequiredService<UpstreamCircuit>();
        var nar = Nar.OfText("after", 50_000);
        var path = StorePaths.Make("after");
        var hash = StorePaths.HashOf(path);
        await first.DisposeAsync();

        // Ten minutes of builders asking, every 15 s of fake time: every answer a 404, never a 5xx or a hang.
        var reasons = new HashSet<string>();
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromMinutes(10); elapsed += TimeSpan.FromSeconds(15))
        {
            using var narInfo = await proxy.Client.GetAsync(hash + ".narinfo");
            using var body = await proxy.Client.GetAsync($"nar/{hash}.nar");
            Assert.Equal(HttpStatusCode.NotFound, narInfo.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, body.StatusCode);
            reasons.Add(narInfo.Headers.GetValues("X-NarGuard-Reason").Single());
            time.Advance(TimeSpan.FromSeconds(15));
        }
        Assert.Contains("circuit_open", reasons);
        Assert.Contains("upstream_error", reasons);

        // Back on the same port; no restart, no operator.
        await using var second = await AtticEmulatorServer.StartAsync(new EmulatorOptions { Listen = new Uri($"http://127.0.0.1:{port}") });
        var obj = second.Add(path, nar);
        HttpStatusCode status = default;
        // Bounded: within one break duration plus the quarantine TTL of fake time, the next request probes and succeeds.
        for (var i = 0; i < 12 && status != HttpStatusCode.OK; i++)
        {
            time.Advance(TimeSpan.FromSeconds(15));
            using var narInfo = await proxy.Client.GetAsync(hash + ".narinfo");
            status = narInfo.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(UpstreamCircuitState.Closed, circuit.State);
        Assert.Equal(obj.Body, await proxy.Client.GetByteArrayAsync($"nar/{hash}.nar"));
    }
}
