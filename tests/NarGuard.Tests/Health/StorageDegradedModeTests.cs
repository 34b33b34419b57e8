using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Storage;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Health;

/// <summary>
/// The incident, replayed against a real S3-compatible server: the bucket vanishes from ListBuckets, /readyz turns
/// 503 naming the storage check, narinfos of paths not in the spool answer 404 storage_unhealthy at once while spooled
/// paths keep being served, and everything recovers when the bucket is back. The probe is driven with RunOnceAsync.
/// </summary>
public sealed class StorageDegradedModeTests
{
    [Fact]
    public async Task Bucket_loss_degrades_the_proxy_and_its_return_recovers_it()
    {
        await using var s3 = await S3rverServer.StartAsync();
        using var admin = s3.CreateClient();
        await using var proxy = await ProxyFixture.StartAsync(o => s3.Configure(o, "attic"));
        var probe = proxy.App.Services.GetRequiredService<StorageProbeService>();
        var health = proxy.App.Services.GetRequiredService<StorageHealth>();
        var spooled = proxy.Upstream.Add(StorePaths.Make("spooled"), Nar.OfText("spooled", 50_000));
        var fresh = proxy.Upstream.Add(StorePaths.Make("fresh"), Nar.OfText("fresh", 50_000));

        // 1. Attic's bucket is created; the probe passes and the proxy is ready.
        await admin.PutBucketAsync("attic");
        Assert.True((await probe.RunOnceAsync()).Ok);
        var (readyStatus, ready) = await ReadyzAsync(proxy);
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(ready.GetProperty("checks").GetProperty("storage").GetProperty("ok").GetBoolean());
        Assert.Equal(spooled.Body, await proxy.Client.GetByteArrayAsync($"nar/{spooled.StoreHash}.nar"));

        // 2. The bucket disappears from ListBuckets (the incident's symptom): not ready, degraded.
        await admin.DeleteBucketAsync("attic");
        var failed = await probe.RunOnceAsync();
        Assert.False(failed.Ok);
        Assert.Equal(StorageProbeResult.ListBuckets, failed.FailedCheck);
        Assert.True(health.IsDegraded);
        var (notReadyStatus, notReady) = await ReadyzAsync(proxy);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReadyStatus);
        Assert.Equal("not_ready", notReady.GetProperty("status").GetString());
        Assert.Equal("storage", Assert.Single(notReady.GetProperty("failed").EnumerateArray()).GetString());
        var storage = notReady.GetProperty("checks").GetProperty("storage");
        Assert.False(storage.GetProperty("ok").GetBoolean());
        Assert.Equal("list_buckets", storage.GetProperty("check").GetString());
        Assert.Contains("attic", storage.GetProperty("detail").GetString(), StringComparison.Ordinal);

        //    A path not in the spool: 404 at once, the upstream is not asked.
        var narInfoRequestsBefore = proxy.Upstream.NarInfoRequests(fresh.StoreHash);
        using (var refused = await proxy.Client.GetAsync(fresh.StoreHash + ".narinfo"))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Equal("storage_unhealthy", refused.Headers.GetValues("X-NarGuard-Reason").Single());
        }
        Assert.Equal(narInfoRequestsBefore, proxy.Upstream.NarInfoRequests(fresh.StoreHash));
        //    A spooled path: still served, narinfo and NAR.
        using (var narInfo = await proxy.Client.GetAsync(spooled.StoreHash + ".narinfo"))
        using (var nar = await proxy.Client.GetAsync($"nar/{spooled.StoreHash}.nar"))
        {
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
            Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
            Assert.Equal("spool", nar.Headers.GetValues("X-NarGuard-Source").Single());
            Assert.Equal(spooled.Body, await nar.Content.ReadAsByteArrayAsync());
        }

        // 3. The bucket is back: the next probe passes and everything is served again, with no restart.
        await admin.PutBucketAsync("attic");
        Assert.True((await probe.RunOnceAsync()).Ok);
        Assert.False(health.IsDegraded);
        var (recoveredStatus, _) = await ReadyzAsync(proxy);
        Assert.Equal(HttpStatusCode.OK, recoveredStatus);
        using (var narInfo = await proxy.Client.GetAsync(fresh.StoreHash + ".narinfo"))
        {
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        }
        Assert.Equal(fresh.Body, await proxy.Client.GetByteArrayAsync($"nar/{fresh.StoreHash}.nar"));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("storage probe failed: check=list_buckets", StringComparison.Ordinal));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("storage probe passes again", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Contains(S3rverServer.SecretKey + "\"", StringComparison.Ordinal) || l.Contains("SecretKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_DegradedNarInfo404_off_narinfos_still_go_upstream_while_storage_fails()
    {
        await using var s3 = await S3rverServer.StartAsync();
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            s3.Configure(o, "attic");
            o.Storage.DegradedNarInfo404 = false;
        });
        var probe = proxy.App.Services.GetRequiredService<StorageProbeService>();
        var obj = proxy.Upstream.Add(StorePaths.Make("asked"), Nar.OfText("asked", 10_000));

        Assert.False((await probe.RunOnceAsync()).Ok);
        using var narInfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
        var (status, _) = await ReadyzAsync(proxy);

        Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
    }

    [Fact]
    public async Task Before_the_first_probe_finishes_storage_is_pending_not_degraded()
    {
        var health = new StorageHealth(new Configuration.NarGuardOptions { Storage = { Endpoint = "http://127.0.0.1:1" } }, Microsoft.Extensions.Logging.Abstractions.NullLogger<StorageHealth>.Instance);
        Assert.True(health.IsConfigured);
        Assert.Null(health.Last);
        Assert.False(health.IsDegraded);
        Assert.False(health.RefusesNarInfos);
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyzAsync(ProxyFixture proxy)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(proxy.BaseUrl + "/readyz");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }
}
