using Amazon.S3.Model;
using NarGuard.Configuration;
using NarGuard.Storage;
using Xunit;

namespace NarGuard.Tests.Health;

/// <summary>The storage probe against a real S3-compatible server (s3rver), one check at a time.</summary>
public sealed class StorageProbeTests
{
    private static StorageProbe Probe(S3rverServer s3, Action<StorageOptions>? configure = null)
    {
        var options = new NarGuardOptions();
        s3.Configure(options, "attic");
        configure?.Invoke(options.Storage);
        var client = StorageClientFactory.Create(options, StorageCredentials.Resolve(options.Storage, _ => null)!);
        return new StorageProbe(client, options.Storage, TimeProvider.System);
    }

    [Fact]
    public async Task Passes_when_every_bucket_is_listed_and_reachable_including_a_scratch_round_trip()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        using var probe = Probe(s3, o => o.ScratchRoundTrip = true);

        var result = await probe.RunAsync(0, CancellationToken.None);

        Assert.True(result.Ok, result.Detail);
        Assert.Null(result.FailedCheck);
        Assert.Equal(0, result.ConsecutiveFailures);
        Assert.Contains("scratch round trip ok", result.Detail, StringComparison.Ordinal);
        // The scratch object is gone again: the probe leaves nothing in Attic's bucket.
        using var client = s3.CreateClient();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "attic" });
        Assert.Empty(listed.S3Objects ?? []);
    }

    [Fact]
    public async Task A_bucket_missing_from_ListBuckets_fails_the_list_check_and_counts_the_streak()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        using var probe = Probe(s3);
        using var client = s3.CreateClient();
        await client.DeleteBucketAsync("attic");

        var first = await probe.RunAsync(0, CancellationToken.None);
        var second = await probe.RunAsync(first.ConsecutiveFailures, CancellationToken.None);

        Assert.False(first.Ok);
        Assert.Equal(StorageProbeResult.ListBuckets, first.FailedCheck);
        Assert.Equal("attic", first.Bucket);
        Assert.Contains("missing from ListBuckets", first.Detail, StringComparison.Ordinal);
        Assert.Equal(2, second.ConsecutiveFailures);
    }

    [Fact]
    public async Task Every_configured_bucket_must_be_listed()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        using var probe = Probe(s3, o => o.Buckets = ["attic", "attic-chunks"]);
        using var client = s3.CreateClient();

        var before = await probe.RunAsync(0, CancellationToken.None);
        await client.PutBucketAsync("attic-chunks");
        var after = await probe.RunAsync(before.ConsecutiveFailures, CancellationToken.None);

        Assert.False(before.Ok);
        Assert.Equal("attic-chunks", before.Bucket);
        Assert.True(after.Ok, after.Detail);
    }

    [Fact]
    public async Task Unknown_credentials_fail_without_echoing_the_secret()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        // s3rver checks the access key id (it does not recompute SigV4 signatures).
        using var probe = Probe(s3, o => (o.AccessKey, o.SecretKey) = ("NOT-S3RVER", "not-the-s3rver-secret"));

        var result = await probe.RunAsync(0, CancellationToken.None);

        Assert.False(result.Ok);
        Assert.Equal(StorageProbeResult.ListBuckets, result.FailedCheck);
        Assert.Equal("InvalidAccessKeyId (403)", result.Detail);
        Assert.DoesNotContain("not-the-s3rver-secret", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_as_a_connection_error()
    {
        string endpoint;
        await using (var gone = await S3rverServer.StartAsync())
        {
            endpoint = gone.Endpoint;
        }
        await using var s3 = await S3rverServer.StartAsync("attic");
        using var probe = Probe(s3, o => o.Endpoint = endpoint);

        var result = await probe.RunAsync(0, CancellationToken.None);

        Assert.False(result.Ok);
        Assert.Equal(StorageProbeResult.ListBuckets, result.FailedCheck);
        Assert.StartsWith("connection", result.Detail, StringComparison.Ordinal);
    }
}
