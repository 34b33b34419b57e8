using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using AtticEmulator;
using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;

namespace NarGuard.Soak;

/// <summary>
/// One simulated builder: narinfo then NAR for random paths, until the deadline. Every 200 body is verified against
/// the path's NarHash and NarSize with NarGuard.Core's verifier (decompress + count + SHA-256); anything else than a
/// verified 200 or a 404 is a violation.
/// </summary>
internal sealed class SoakClient(HttpClient http, string cacheUrl, IReadOnlyList<StoreObject> objects, SoakTally tally)
{
    public async Task RunAsync(int seed, DateTime deadline)
    {
        var random = new Random(seed);
        // Bounded by the deadline; each request by the HttpClient timeout.
        while (DateTime.UtcNow < deadline)
        {
            var obj = objects[random.Next(objects.Count)];
            if (await NarInfoAsync(obj))
            {
                await NarAsync(obj);
            }
        }
    }

    private async Task<bool> NarInfoAsync(StoreObject obj)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.GetAsync($"{cacheUrl}/{obj.StoreHash}.narinfo");
            var text = await response.Content.ReadAsStringAsync();
            tally.Request(clock.Elapsed);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK when NarInfo.TryParse(text, out var info, out _) && info!.StoreHash == obj.StoreHash:
                    tally.NarInfoAnswered(ok: true);
                    return true;
                case HttpStatusCode.OK:
                    tally.Violation("narinfo_200_unparsable", obj.StoreHash);
                    return false;
                case HttpStatusCode.NotFound:
                    tally.NarInfoAnswered(ok: false);
                    return false;
                default:
                    tally.Violation($"narinfo_{(int)response.StatusCode}", obj.StoreHash);
                    return false;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            tally.Violation("narinfo_no_answer", $"{obj.StoreHash}: {ex.GetType().Name} after {clock.Elapsed.TotalSeconds:0.0} s");
            return false;
        }
    }

    private async Task NarAsync(StoreObject obj)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.GetAsync($"{cacheUrl}/nar/{obj.StoreHash}.nar", HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                await response.Content.ReadAsByteArrayAsync();
                tally.Request(clock.Elapsed);
                tally.NarNotFoundWith(response.Headers.TryGetValues("X-NarGuard-Reason", out var reasons) ? reasons.Single() : "none");
                return;
            }
            if (response.StatusCode != HttpStatusCode.OK)
            {
                tally.Request(clock.Elapsed);
                tally.Violation($"nar_{(int)response.StatusCode}", obj.StoreHash);
                return;
            }
            await using var body = await response.Content.ReadAsStreamAsync();
            var expected = new NarExpectation(NarCompression.Zstd, new NixHash(SHA256.HashData(obj.Nar)), obj.Nar.LongLength);
            var result = await NarVerifier.VerifyAsync(body, expected, copyTo: null, CancellationToken.None);
            tally.Request(clock.Elapsed);
            if (result.Reason is RejectReason.Truncated or RejectReason.Empty && result.Detail?.Contains("body failed", StringComparison.Ordinal) == true)
            {
                // A 200 whose connection broke before its end: streamed mode's failure path (the client retries and
                // gets a 404). Never a bad body: the client cannot mistake it for a complete one.
                tally.Aborted();
            }
            else if (result.IsValid)
            {
                tally.NarVerified(result.CompressedBytes);
            }
            else
            {
                tally.Violation("nar_200_bad_body", $"{obj.StoreHash}: {result.Reason?.Label()} {result.Detail}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            tally.Violation("nar_no_answer", $"{obj.StoreHash}: {ex.GetType().Name} after {clock.Elapsed.TotalSeconds:0.0} s");
        }
    }
}
