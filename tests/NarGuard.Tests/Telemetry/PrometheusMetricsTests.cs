using System.Net;
using AtticEmulator;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Telemetry;

[Collection(MetricsCollection.Name)]
public sealed class PrometheusMetricsTests
{
    private static readonly (Fault Fault, string Reason)[] Matrix =
    [
        (Fault.Empty, "empty"),
        (Fault.Truncated, "truncated"),
        (Fault.Corrupt, "hash_mismatch"),
        (Fault.Garbage, "decompress_error"),
        (Fault.SizeBomb, "size_mismatch"),
        (Fault.NarServerError, "upstream_status"),
        (Fault.Stall, "timeout"),
        (Fault.RedirectForeign, "redirect_denied"),
    ];

    /// <summary>Runs healthy paths and the fault matrix through the proxy, then returns the /metrics scrape.</summary>
    internal static async Task<PrometheusScrape> ExerciseAsync(ProxyFixture proxy)
    {
        for (var i = 0; i < 3; i++)
        {
            var healthy = proxy.Upstream.Add(StorePaths.Make("healthy" + i), Nar.OfText("h" + i, 100_000));
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync(healthy.StoreHash + ".narinfo")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync($"nar/{healthy.StoreHash}.nar")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync($"nar/{healthy.StoreHash}.nar")).StatusCode);
        }
        foreach (var (fault, _) in Matrix)
        {
            var broken = proxy.Upstream.Add(StorePaths.Make("broken"), Nar.OfText("b", 100_000));
            proxy.Upstream.SetFault(broken.StoreHash, fault);
            Assert.Equal(HttpStatusCode.NotFound, (await proxy.Client.GetAsync($"nar/{broken.StoreHash}.nar")).StatusCode);
            // The retry a client makes is answered from the quarantine.
            Assert.Equal(HttpStatusCode.NotFound, (await proxy.Client.GetAsync($"nar/{broken.StoreHash}.nar")).StatusCode);
        }
        using var http = new HttpClient();
        return new PrometheusScrape(await http.GetStringAsync(proxy.BaseUrl + "/metrics"));
    }

    [Fact]
    public async Task Metrics_endpoint_counts_every_rejection_by_reason_after_a_fault_matrix()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var scrape = await ExerciseAsync(proxy);

        foreach (var reasonGroup in Matrix.GroupBy(m => m.Reason))
        {
            Assert.Equal(reasonGroup.Count(), scrape.Sum("narguard_nar_rejections_total", ("narguard_reason", reasonGroup.Key)));
        }
        Assert.Equal(Matrix.Length, scrape.Sum("narguard_nar_rejections_total", ("narguard_reason", "quarantined")));
        Assert.Equal(3, scrape.Sum("narguard_nar_verified_total"));
        Assert.Equal(3, scrape.Sum("narguard_spool_hits_total"));
        Assert.Equal(3 + Matrix.Length, scrape.Sum("narguard_spool_misses_total"));
        Assert.Equal(3, scrape.Sum("narguard_spool_entries"));
        Assert.True(scrape.Sum("narguard_spool_size_bytes") > 0);
        Assert.Equal(Matrix.Length, scrape.Sum("narguard_quarantine_size"));
        Assert.Equal(6, scrape.Sum("narguard_requests_total", ("narguard_route", "nar"), ("narguard_outcome", "ok")) + scrape.Sum("narguard_requests_total", ("narguard_route", "nar"), ("narguard_outcome", "ok_spool")));
        Assert.Equal(2 * Matrix.Length, scrape.Sum("narguard_requests_total", ("narguard_route", "nar"), ("narguard_outcome", "not_found")));
        Assert.True(scrape.Sum("narguard_nar_received_bytes_total") > 0);
        Assert.True(scrape.Sum("narguard_nar_served_bytes_total", ("narguard_source", "spool")) > 0);
        Assert.Equal(1, scrape.Sum("narguard_upstream_request_duration_seconds_count", ("http_response_status_code", "500")));
        Assert.Equal(3, scrape.Sum("narguard_nar_verification_duration_seconds_count", ("narguard_result", "verified")));
    }

    [Fact]
    public async Task Metrics_endpoint_can_be_switched_off()
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.Telemetry.Prometheus = false);
        using var http = new HttpClient();
        using var response = await http.GetAsync(proxy.BaseUrl + "/metrics");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
