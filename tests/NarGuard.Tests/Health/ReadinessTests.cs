using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NarGuard.Resilience;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Health;

/// <summary>/readyz: 200 or 503 with a JSON body naming the failed check; the upstream is asked at most once per TTL.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_when_the_upstream_answers_and_the_spool_is_writable_without_storage_configured()
    {
        await using var proxy = await ProxyFixture.StartAsync();

        var (status, body) = await StorageDegradedModeTests.ReadyzAsync(proxy);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("failed").GetArrayLength());
        Assert.Equal("Closed", body.GetProperty("circuit").GetString());
        var checks = body.GetProperty("checks");
        Assert.True(checks.GetProperty("upstream").GetProperty("ok").GetBoolean());
        Assert.True(checks.GetProperty("spool").GetProperty("ok").GetBoolean());
        Assert.False(checks.TryGetProperty("storage", out _));
    }

    [Fact]
    public async Task Probes_reuse_the_upstream_result_for_the_ttl()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/nix-cache-info").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n"));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/";
            o.Health.CheckCacheTtl = TimeSpan.FromSeconds(10);
        }, services: s => s.AddSingleton<TimeProvider>(time));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => StorageDegradedModeTests.ReadyzAsync(proxy)));
        var afterBurst = CacheInfoRequests(upstream);
        time.Advance(TimeSpan.FromSeconds(9));
        await StorageDegradedModeTests.ReadyzAsync(proxy);
        var withinTtl = CacheInfoRequests(upstream);
        time.Advance(TimeSpan.FromSeconds(2));
        await StorageDegradedModeTests.ReadyzAsync(proxy);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(1, afterBurst);
        Assert.Equal(1, withinTtl);
        Assert.Equal(2, CacheInfoRequests(upstream));
    }

    [Fact]
    public async Task An_upstream_that_is_down_makes_it_503_naming_the_upstream()
    {
        var gone = await AtticEmulatorServer.StartAsync();
        var url = gone.CacheUrl;
        await gone.DisposeAsync();
        await using var unused = await AtticEmulatorServer.StartAsync();
        await using var proxy = await ProxyFixture.StartAsync(o => o.Upstream = url, upstream: unused);

        var (status, body) = await StorageDegradedModeTests.ReadyzAsync(proxy);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("upstream", Assert.Single(body.GetProperty("failed").EnumerateArray()).GetString());
        var upstream = body.GetProperty("checks").GetProperty("upstream");
        Assert.Equal("nix_cache_info", upstream.GetProperty("check").GetString());
        Assert.Contains("connection", upstream.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_the_circuit_is_open_the_upstream_check_fails_without_asking()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(502));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/";
            o.Resilience.NarInfoRetries = 0;
            o.Resilience.Circuit.MinimumThroughput = 2;
        }, services: s => s.AddSingleton<TimeProvider>(time));
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };
        for (var i = 0; i < 2; i++)
        {
            using var _ = await http.GetAsync($"/{StorePaths.HashOf(StorePaths.Make("x"))}.narinfo");
        }
        Assert.Equal(UpstreamCircuitState.Open, proxy.App.Services.GetRequiredService<UpstreamCircuit>().State);

        var (status, body) = await StorageDegradedModeTests.ReadyzAsync(proxy);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Open", body.GetProperty("circuit").GetString());
        Assert.Contains("circuit open", body.GetProperty("checks").GetProperty("upstream").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, CacheInfoRequests(upstream));
    }

    [Fact]
    public async Task A_spool_that_cannot_be_written_makes_it_503_naming_the_spool()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        // Tests run as root, which ignores permission bits: replace tmp/ by a file so that nothing can be created in it.
        var tmp = Path.Combine(proxy.SpoolDir, "tmp");
        Directory.Delete(tmp, recursive: true);
        await File.WriteAllTextAsync(tmp, "not a directory");
        try
        {
            var (status, body) = await StorageDegradedModeTests.ReadyzAsync(proxy);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("spool", Assert.Single(body.GetProperty("failed").EnumerateArray()).GetString());
            Assert.Equal("spool_write", body.GetProperty("checks").GetProperty("spool").GetProperty("check").GetString());
        }
        finally
        {
            File.Delete(tmp);
            Directory.CreateDirectory(tmp);
        }
    }

    [Fact]
    public async Task Head_answers_the_status_without_a_body()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        using var http = new HttpClient();
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, proxy.BaseUrl + "/readyz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    private static int CacheInfoRequests(WireMockServer upstream) => upstream.LogEntries.Count(e => e.RequestMessage.Path == "/nix-cache-info");
}
