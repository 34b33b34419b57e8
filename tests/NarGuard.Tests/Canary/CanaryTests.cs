using System.Net;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Canary;
using NarGuard.Configuration;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Canary;

/// <summary>The background canary: `narguard check` on a schedule, its verdict in /readyz and in the metrics.</summary>
public sealed class CanaryTests
{
    [Fact]
    public async Task A_broken_canary_path_makes_the_proxy_unready_and_shows_its_reason_until_it_is_repaired()
    {
        await using var upstream = await AtticEmulatorServer.StartAsync();
        var healthy = upstream.Add(StorePaths.Make("canary-ok"), Nar.OfText("ok", 50_000));
        var broken = upstream.Add(StorePaths.Make("canary-broken"), Nar.OfText("broken", 50_000));
        upstream.SetFault(broken.StoreHash, Fault.Empty);
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Canary.StoreHashes = [healthy.StorePath, broken.StoreHash];
            o.Canary.Interval = TimeSpan.FromHours(1);
        }, upstream: upstream);
        var canary = proxy.App.Services.GetRequiredService<CanaryService>();
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        var run = await canary.RunOnceAsync(CancellationToken.None);
        using var unready = await http.GetAsync("/readyz");
        var unreadyBody = await unready.Content.ReadAsStringAsync();

        Assert.Equal(1, run.Broken);
        Assert.Equal("empty", run.Results.Single(r => r.StoreHash == broken.StoreHash).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        Assert.Contains("canary", unreadyBody);
        Assert.Contains($"{broken.StorePath}: empty", unreadyBody);
        Assert.Equal(1, proxy.Metrics.Sum("narguard.canary.paths", "narguard.result", "empty"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.canary.paths", "narguard.result", "ok"));
        // The canary asks the upstream directly: the proxy's own quarantine and spool are untouched.
        Assert.Empty(proxy.SpoolNarFiles());

        upstream.SetFault(broken.StoreHash, Fault.Healthy);
        var repaired = await canary.RunOnceAsync(CancellationToken.None);
        using var ready = await http.GetAsync("/readyz");

        Assert.Equal(0, repaired.Broken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(2, proxy.Metrics.Sum("narguard.canary.paths", "narguard.result", "ok"));
    }

    [Fact]
    public void Bad_canary_settings_name_their_key()
    {
        var options = new NarGuardOptions { Upstream = "http://127.0.0.1:8080/main" };
        options.Canary.StoreHashes = ["not-a-hash"];
        options.Canary.Interval = TimeSpan.Zero;

        var errors = NarGuardOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Canary:StoreHashes:0:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Canary:Interval:", StringComparison.Ordinal));
    }
}
