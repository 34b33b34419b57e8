using System.Net;
using System.Text.Json;
using AtticEmulator;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Publication;
using NarGuard.Storage;
using NarGuard.Tests.Health;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Publication;

/// <summary>
/// Pushes through the proxy while the bucket index behind the emulator's real S3 server is lost: Enforce refuses
/// them before a byte reaches Attic, Observe forwards them and leaves one evidence line with the storage state
/// before and after (an immediate probe ran after Attic's 500).
/// </summary>
public sealed class PushGateTests
{
    [Fact]
    public async Task Enforce_refuses_a_push_while_the_bucket_index_is_lost_and_nothing_is_written()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            s3.Configure(o, "attic");
            o.Publication.Gate = PublicationGateMode.Enforce;
        }, upstream: attic);
        var probe = proxy.App.Services.GetRequiredService<StorageProbeService>();
        Assert.True((await probe.RunOnceAsync()).Ok);

        BucketIndex.Lose(s3, "attic");
        Assert.Equal(StorageProbeResult.ListBuckets, (await probe.RunOnceAsync()).FailedCheck);
        var path = StorePaths.Make("refused");
        var (status, body) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, Nar.OfText("refused", 300_000));

        Assert.Equal(503, status);
        Assert.Equal(503, body.GetProperty("code").GetInt32());
        Assert.Equal("StorageUnhealthy", body.GetProperty("error").GetString());
        Assert.Contains("check=list_buckets", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("attic", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, attic.UploadRequests(StorePaths.HashOf(path)));
        Assert.Equal(0, BucketIndex.ObjectCount(s3, "attic"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.pushes", "narguard.result", "refused"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.push.storage", "narguard.storage.before", "failed"));
        Assert.Contains(proxy.Logs.Lines, l => l.StartsWith("push refused: store_path=" + path, StringComparison.Ordinal) && l.Contains("storage_check=list_buckets", StringComparison.Ordinal));

        // The storage is back: the gate opens with the next probe, and the same push goes through.
        BucketIndex.Restore(s3, "attic");
        Assert.True((await probe.RunOnceAsync()).Ok);
        var (retried, retriedBody) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, Nar.OfText("refused", 300_000));
        Assert.Equal(200, retried);
        Assert.Equal("Uploaded", retriedBody.GetProperty("kind").GetString());
        Assert.Equal(5, BucketIndex.ObjectCount(s3, "attic"));
    }

    [Fact]
    public async Task Observe_forwards_the_push_and_its_500_leaves_evidence_of_the_bucket_index_before_and_after()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        await using var proxy = await ProxyFixture.StartAsync(o => s3.Configure(o, "attic"), upstream: attic);
        Assert.Equal(PublicationGateMode.Observe, proxy.Options.Publication.Gate);
        var probe = proxy.App.Services.GetRequiredService<StorageProbeService>();
        Assert.True((await probe.RunOnceAsync()).Ok);

        // Lost between two scheduled probes: the proxy still believes the storage is fine when the push arrives.
        BucketIndex.Lose(s3, "attic");
        var path = StorePaths.Make("failed-push");
        var (status, body) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, Nar.OfText("failed-push", 100_000));

        Assert.Equal(500, status);
        Assert.Equal("InternalServerError", body.GetProperty("error").GetString());
        Assert.Equal(1, attic.UploadRequests(StorePaths.HashOf(path)));
        var evidence = await Eventually.LogLineAsync(proxy, "push failed: store_path=" + path);
        Assert.Contains("upstream_status=500 attic_error=InternalServerError", evidence, StringComparison.Ordinal);
        Assert.Contains("storage_before=ok", evidence, StringComparison.Ordinal);
        Assert.Contains("storage_after=failed check=list_buckets bucket=attic", evidence, StringComparison.Ordinal);
        Assert.Single(proxy.Logs.Lines, l => l.StartsWith("push failed:", StringComparison.Ordinal));
        Assert.True(proxy.App.Services.GetRequiredService<StorageHealth>().IsDegraded, "the immediate probe recorded the failure");
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.pushes", "narguard.result", "upstream_error"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.push.storage", "narguard.storage.after", "failed"));
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.push.storage", "narguard.storage.before", "ok"));
        Assert.Equal(0, proxy.Metrics.Sum("narguard.publication.read_backs", "narguard.result", "ok") + proxy.Metrics.Sum("narguard.publication.read_backs", "narguard.result", "failed"));
    }

    [Theory]
    [InlineData(PublicationGateMode.Observe)]
    [InlineData(PublicationGateMode.Off)]
    public async Task A_push_larger_than_Kestrels_default_body_limit_goes_through(PublicationGateMode gate)
    {
        await using var proxy = await ProxyFixture.StartAsync(o => o.Publication.Gate = gate);
        var path = StorePaths.Make("large-push");
        var nar = Nar.OfText("large-push", 31 * 1024 * 1024); // Kestrel refuses bodies above 30 000 000 bytes by default
        var (status, body) = await AtticPush.PushAsync(proxy.Client, proxy.BaseUrl, "main", path, nar);

        Assert.Equal(200, status);
        Assert.Equal("Uploaded", body.GetProperty("kind").GetString());
        Assert.Equal(nar.Length, proxy.Upstream.Find(StorePaths.HashOf(path))!.Nar.Length);
    }

    [Fact]
    public async Task Pushes_stream_through_the_proxy_in_the_preamble_form_and_are_read_back()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var path = StorePaths.Make("preamble");
        var nar = Nar.OfText("preamble", 40_000);
        using var request = AtticPush.UploadRequest(proxy.BaseUrl, "main", path, nar);
        // attic push moves the JSON into the body when it is large: X-Attic-Nar-Info-Preamble-Size, then JSON, then the NAR.
        var json = System.Text.Encoding.UTF8.GetBytes(request.Headers.GetValues("X-Attic-Nar-Info").Single());
        request.Headers.Remove("X-Attic-Nar-Info");
        request.Headers.TryAddWithoutValidation("X-Attic-Nar-Info-Preamble-Size", json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Content = new ByteArrayContent([.. json, .. nar]);
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(nar, proxy.Upstream.Find(StorePaths.HashOf(path))!.Nar);
        await Eventually.LogLineAsync(proxy, "publication read-back verified: store_path=" + path);
        Assert.Equal(1, proxy.Metrics.Sum("narguard.publication.read_backs", "narguard.result", "ok"));
    }
}
