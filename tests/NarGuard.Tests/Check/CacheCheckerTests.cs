using AtticEmulator;
using NarGuard.Check;
using NarGuard.Configuration;
using NarGuard.Core.Verification;
using NarGuard.Tests.Support;
using NarGuard.Upstream;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Check;

/// <summary>The reusable checker, as a hosted canary would call it: values back, bounded concurrency, FileHash/FileSize checked.</summary>
public sealed class CacheCheckerTests
{
    private static CacheChecker Create(string upstream, int concurrency = CacheChecker.DefaultConcurrency)
    {
        var options = new NarGuardOptions { Upstream = upstream };
        var http = new HttpClient(UpstreamClient.CreateHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
        return new CacheChecker(new UpstreamClient(http, new UpstreamEndpoint(options), options), options.Timeouts, concurrency);
    }

    [Fact]
    public async Task CheckAsync_returns_one_result_per_distinct_path_in_input_order()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var a = attic.Add(StorePaths.Make("a"), Nar.OfText("a", 30_000));
        var b = attic.Add(StorePaths.Make("b"), Nar.OfText("b", 30_000));
        attic.SetFault(b.StoreHash, Fault.Garbage);
        var checker = Create(attic.CacheUrl);

        var results = await checker.CheckAsync([b.StoreHash, a.StorePath, b.StorePath]);

        Assert.Equal([b.StoreHash, a.StoreHash], results.Select(r => r.StoreHash));
        Assert.Equal(RejectReason.DecompressError, results[0].Reason);
        Assert.Equal(b.StorePath, results[0].StorePath);
        Assert.True(results[1].IsOk);
        Assert.Equal(a.NarSize, results[1].NarBytes);
        Assert.Equal(a.Body.Length, results[1].Bytes);
    }

    [Fact]
    public async Task CheckAsync_refuses_input_that_is_not_a_store_path()
    {
        var checker = Create("http://127.0.0.1:1/main");

        await Assert.ThrowsAsync<ArgumentException>(() => checker.CheckAsync(["../etc/passwd"]));
    }

    [Fact]
    public async Task No_more_than_concurrency_paths_are_in_flight_and_every_byte_is_reported()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var objects = Enumerable.Range(0, 10).Select(i => attic.Add(StorePaths.Make("p" + i), Nar.OfText("p" + i, 400_000))).ToList();
        var observer = new CountingObserver();

        var results = await Create(attic.CacheUrl, concurrency: 3).CheckAsync(objects.Select(o => o.StoreHash), observer);

        Assert.All(results, r => Assert.True(r.IsOk, r.Detail));
        Assert.InRange(observer.MaxInFlight, 1, 3);
        Assert.Equal(objects.Sum(o => (long)o.Body.Length), observer.Bytes);
        Assert.Equal(10, observer.Completed);
    }

    [Fact]
    public async Task WalkClosureAsync_visits_each_path_once_even_with_cycles_and_self_references()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var aPath = StorePaths.Make("a");
        var bPath = StorePaths.Make("b");
        // a → a, b; b → a: a self-reference (as most real paths have) and a cycle through narinfos.
        attic.Add(aPath, Nar.OfText("a", 1_000), [aPath, bPath]);
        attic.Add(bPath, Nar.OfText("b", 1_000), [aPath]);

        var closure = await Create(attic.CacheUrl).WalkClosureAsync([new CheckTarget(StorePaths.HashOf(aPath))], "/nix/store");

        Assert.Equal([aPath, bPath], closure.Select(t => t.StorePath));
        Assert.All(closure, t => Assert.NotNull(t.NarInfo?.Info));
    }

    [Theory]
    [InlineData(false, false, null)]
    [InlineData(true, false, RejectReason.HashMismatch)]
    [InlineData(false, true, RejectReason.SizeMismatch)]
    public async Task FileHash_and_FileSize_are_checked_where_the_narinfo_has_them(bool wrongFileHash, bool wrongFileSize, RejectReason? expected)
    {
        using var upstream = WireMockServer.Start();
        var storePath = StorePaths.Make("nixorg");
        var obj = NixOrgStyleObject.Make(storePath, Nar.OfText("nixorg", 150_000), wrongFileHash: wrongFileHash, fileSizeDelta: wrongFileSize ? 1 : 0);
        upstream.Given(Request.Create().WithPath("/nix-cache-info").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n"));
        upstream.Given(Request.Create().WithPath($"/{obj.StoreHash}.narinfo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(obj.NarInfo));
        upstream.Given(Request.Create().WithPath("/" + obj.Url).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(obj.Body));

        var run = await CheckHarness.RunAsync(["--upstream", upstream.Url!, storePath, "--json"]);

        var path = run.JsonPaths()[storePath];
        Assert.Equal(expected?.Label() ?? "ok", path.GetProperty("status").GetString());
        Assert.Equal(expected is null ? 0 : 1, run.ExitCode);
        if (expected is not null)
        {
            Assert.Contains(wrongFileHash ? "FileHash" : "FileSize", path.GetProperty("detail").GetString());
        }
    }

    private sealed class CountingObserver : ICheckObserver
    {
        private int _inFlight;
        private int _maxInFlight;
        private long _bytes;
        private int _completed;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);
        public long Bytes => Interlocked.Read(ref _bytes);
        public int Completed => Volatile.Read(ref _completed);

        public void PathStarted(CheckTarget target)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }
        }

        public void BytesReceived(int count) => Interlocked.Add(ref _bytes, count);

        public void PathCompleted(PathCheckResult result)
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _completed);
        }
    }
}
