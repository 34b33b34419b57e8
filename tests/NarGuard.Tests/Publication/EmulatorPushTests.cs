using System.Net;
using System.Text;
using System.Text.Json;
using AtticEmulator;
using NarGuard.Tests.Health;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Publication;

/// <summary>
/// The emulator's push routes against a real s3rver: uploads write chunks to S3 and downloads stream them back;
/// a NAR hash already stored deduplicates without touching S3; and with the bucket index lost the incident happens
/// for real: reads answer 200 with zero bytes, fresh pushes 500, deduplicated pushes still succeed.
/// </summary>
public sealed class EmulatorPushTests
{
    [Fact]
    public async Task Upload_writes_chunks_to_S3_and_the_incident_follows_when_the_bucket_index_is_lost()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(S3Emulator(s3));
        using var http = new HttpClient();
        var path = StorePaths.Make("pushed");
        var nar = Nar.OfText("pushed", 200_000);

        var missing = await MissingAsync(http, attic, path);
        Assert.Equal([StorePaths.HashOf(path)], missing);

        var (status, body) = await AtticPush.PushAsync(http, attic.BaseUrl, "main", path, nar);
        Assert.Equal(200, status);
        Assert.Equal("Uploaded", body.GetProperty("kind").GetString());
        Assert.Equal(4, BucketIndex.ObjectCount(s3, "attic")); // 200 kB in 64 KiB chunks
        Assert.Empty(await MissingAsync(http, attic, path));

        // Served from S3, chunk by chunk, and it is the NAR that was pushed.
        var served = await http.GetByteArrayAsync($"{attic.CacheUrl}/nar/{StorePaths.HashOf(path)}.nar");
        Assert.Equal(attic.Find(StorePaths.HashOf(path))!.Body, served);
        Assert.Equal(nar, attic.Find(StorePaths.HashOf(path))!.Nar);

        // A second path with the same NAR deduplicates: no new object in S3.
        var twin = StorePaths.Make("twin");
        var (twinStatus, twinBody) = await AtticPush.PushAsync(http, attic.BaseUrl, "main", twin, nar);
        Assert.Equal(200, twinStatus);
        Assert.Equal("Deduplicated", twinBody.GetProperty("kind").GetString());
        Assert.Equal(4, BucketIndex.ObjectCount(s3, "attic"));

        // The bucket index is lost: narinfo 200 (from Attic's database), NAR 200 with no byte, fresh push 500.
        BucketIndex.Lose(s3, "attic");
        using (var narInfo = await http.GetAsync($"{attic.CacheUrl}/{StorePaths.HashOf(path)}.narinfo"))
        {
            Assert.Equal(HttpStatusCode.OK, narInfo.StatusCode);
        }

        using (var response = await http.GetAsync($"{attic.CacheUrl}/nar/{StorePaths.HashOf(path)}.nar", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var received = 0;
            var error = await Record.ExceptionAsync(async () =>
            {
                var buffer = new byte[8192];
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    received += read;
                }
            });
            Assert.Equal(0, received);
            Assert.IsAssignableFrom<IOException>(error); // curl: exit 18, "transfer closed with outstanding read data"
        }

        var fresh = StorePaths.Make("fresh");
        var (freshStatus, freshBody) = await AtticPush.PushAsync(http, attic.BaseUrl, "main", fresh, Nar.OfText("fresh", 1000));
        Assert.Equal(500, freshStatus);
        Assert.Equal("InternalServerError", freshBody.GetProperty("error").GetString());
        Assert.Equal(1, attic.UploadRequests(StorePaths.HashOf(fresh)));
        Assert.Null(attic.Find(StorePaths.HashOf(fresh)));

        // ...while a one-path probe whose NAR is already stored deduplicates and passes: the operators' blind spot.
        var (dedupStatus, dedupBody) = await AtticPush.PushAsync(http, attic.BaseUrl, "main", StorePaths.Make("probe"), nar);
        Assert.Equal(200, dedupStatus);
        Assert.Equal("Deduplicated", dedupBody.GetProperty("kind").GetString());

        BucketIndex.Restore(s3, "attic");
        Assert.Equal(attic.Find(StorePaths.HashOf(path))!.Body, await http.GetByteArrayAsync($"{attic.CacheUrl}/nar/{StorePaths.HashOf(path)}.nar"));
    }

    [Fact]
    public async Task Upload_checks_the_announced_hash_and_size_and_needs_the_token()
    {
        await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { BearerToken = "push-token" });
        using var http = new HttpClient();
        var path = StorePaths.Make("checked");
        var nar = Nar.OfText("checked", 5000);

        var (unauthorized, _) = await AtticPush.PushAsync(http, attic.BaseUrl, "main", path, nar);
        Assert.Equal(401, unauthorized);

        http.DefaultRequestHeaders.Authorization = new("Bearer", "push-token");
        using (var lying = AtticPush.UploadRequest(attic.BaseUrl, "main", path, nar, narHashHex: new string('0', 64)))
        using (var response = await http.SendAsync(lying))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Bad NAR Hash or Size", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Null(attic.Find(StorePaths.HashOf(path)));
        var (status, body) = await AtticPush.PushAsync(http, attic.BaseUrl, "main", path, nar);
        Assert.Equal(200, status);
        Assert.Equal("Uploaded", body.GetProperty("kind").GetString());
        Assert.Equal(nar, attic.Find(StorePaths.HashOf(path))!.Nar);
    }

    internal static EmulatorOptions S3Emulator(S3rverServer s3, string? token = null) => new()
    {
        S3 = new EmulatorS3Options(s3.Endpoint, "attic", S3rverServer.AccessKey, S3rverServer.SecretKey),
        BearerToken = token,
        StallDuration = TimeSpan.FromSeconds(20),
    };

    private static async Task<List<string>> MissingAsync(HttpClient http, AtticEmulatorServer attic, params string[] paths)
    {
        var request = JsonSerializer.Serialize(new { cache = "main", store_path_hashes = paths.Select(StorePaths.HashOf).ToArray() });
        using var response = await http.PostAsync(attic.BaseUrl + "/_api/v1/get-missing-paths", new StringContent(request, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("missing_paths").EnumerateArray().Select(e => e.GetString()!).ToList();
    }
}
