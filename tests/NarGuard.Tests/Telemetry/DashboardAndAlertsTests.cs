using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using System.Text.RegularExpressions;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Telemetry;

/// <summary>The Grafana dashboard and the alert rules only query metrics the proxy really exports.</summary>
[Collection(MetricsCollection.Name)]
public sealed partial class DashboardAndAlertsTests
{
    [GeneratedRegex(@"\bnarguard_[a-z_]+\b")]
    private static partial Regex MetricName();

    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }
        throw new FileNotFoundException("Proxy.sln not found above " + AppContext.BaseDirectory);
    }

    private static IEnumerable<string> DashboardExpressions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoFile("config", "grafana", "narguard-dashboard.json")));
        foreach (var panel in doc.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                yield return target.GetProperty("expr").GetString()!;
            }
        }
    }

    private static IEnumerable<string> AlertExpressions() =>
        File.ReadAllLines(RepoFile("config", "prometheus", "narguard-alerts.yml"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("expr:", StringComparison.Ordinal))
            .Select(l => l["expr:".Length..].Trim());

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alert_rules_query_is_exported()
    {
        // A storage endpoint nobody listens on: the probe fails, so its gauge has a value. Degraded mode is off
        // so that the healthy paths of the exercise are still served.
        // A second upstream, so that the per-upstream panels (failovers) have series to query.
        await using var second = await AtticEmulator.AtticEmulatorServer.StartAsync();
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstreams.Add(new NarGuard.Configuration.UpstreamOptions { Name = "b", Url = second.CacheUrl });
            o.Storage.Endpoint = "http://127.0.0.1:9";
            o.Storage.Buckets = ["attic"];
            o.Storage.AccessKey = "probe";
            o.Storage.SecretKey = "probe-secret";
            o.Storage.DegradedNarInfo404 = false;
            o.Storage.ProbeTimeout = TimeSpan.FromSeconds(1);
        });
        var storage = proxy.App.Services.GetRequiredService<NarGuard.Storage.StorageHealth>();
        for (var i = 0; i < 100 && storage.Last is null; i++)
        {
            await Task.Delay(100);
        }
        Assert.NotNull(storage.Last);
        var path = StorePaths.Make("failover");
        var nar = Nar.OfText("failover", 10_000);
        second.Add(path, nar);
        var failover = proxy.Upstream.Add(path, nar);
        proxy.Upstream.SetFault(failover.StoreHash, AtticEmulator.Fault.Empty);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await proxy.Client.GetAsync($"nar/{failover.StoreHash}.nar")).StatusCode);
        var scrape = await PrometheusMetricsTests.ExerciseAsync(proxy);
        var exported = scrape.Names.ToHashSet();
        var labels = scrape.LabelNames.ToHashSet();

        var dashboard = DashboardExpressions().ToList();
        var alerts = AlertExpressions().ToList();
        Assert.True(dashboard.Count >= 10, "dashboard has its panels");
        Assert.True(alerts.Count >= 4, "alert rules are there");

        var queried = dashboard.Concat(alerts).SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Where(name => !labels.Contains(name)).ToHashSet();
        var missing = queried.Where(name => !exported.Contains(name)).Order().ToList();
        Assert.True(missing.Count == 0, "queried but not exported: " + string.Join(", ", missing) + "\nexported: " + string.Join(", ", exported.Where(n => n.StartsWith("narguard", StringComparison.Ordinal)).Order()));
        Assert.Contains("narguard_nar_rejections_total", queried);
        Assert.Contains("narguard_storage_probe_status", queried);
    }
}
