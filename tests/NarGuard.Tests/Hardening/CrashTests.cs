using System.Net;
using AtticEmulator;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>kill -9 of the real narguard process in the middle of spool writes, then a restart on the same spool.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "narguard-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private string[] Files(string dir) => Directory.Exists(Path.Combine(_spool, dir)) ? Directory.GetFiles(Path.Combine(_spool, dir)) : [];

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(100);
        }
        Assert.True(condition(), "timed out waiting for " + what);
    }

    [Fact]
    public async Task Killed_mid_write_the_partial_file_is_never_served_and_the_restart_sweeps_it()
    {
        // Stalled NARs hold their spool temp files open, half written, for as long as the kill needs.
        await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { StallDuration = TimeSpan.FromMinutes(2) });
        var stalled = Enumerable.Range(0, 4).Select(i => attic.Add(StorePaths.Make("stalled" + i), Nar.OfText("stalled" + i, 400_000))).ToList();
        var done = attic.Add(StorePaths.Make("done"), Nar.OfText("done", 100_000));
        stalled.ForEach(o => attic.SetFault(o.StoreHash, Fault.Stall));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        var first = await NarGuardProcess.StartAsync(attic.CacheUrl, _spool, "--Timeouts:Stall", "00:01:30", "--Timeouts:Nar", "00:03:00");
        await using (first)
        {
            Assert.Equal(done.Body, await http.GetByteArrayAsync($"{first.BaseUrl}/main/nar/{done.StoreHash}.nar"));
            // Served at once, durable just after (the spool syncs in the background): only a durable entry must survive.
            await WaitForAsync(() => File.Exists(Path.Combine(_spool, "narinfo", done.StoreHash + ".narinfo")), "the verified NAR durable in the spool");
            var pending = stalled.Select(o => http.GetAsync($"{first.BaseUrl}/main/nar/{o.StoreHash}.nar")).ToList();
            await WaitForAsync(() => Files("tmp").Length == stalled.Count && Files("tmp").All(f => new FileInfo(f).Length > 0), "four half-written temp files");

            await first.KillHardAsync();
            foreach (var request in pending)
            {
                // The clients of the killed process: a broken connection, never a 200.
                var outcome = await Record.ExceptionAsync(async () => { using var r = await request; Assert.NotEqual(HttpStatusCode.OK, r.StatusCode); });
                Assert.True(outcome is null or HttpRequestException or TaskCanceledException, outcome?.ToString());
            }
        }
        Assert.Equal(stalled.Count, Files("tmp").Length);

        stalled.ForEach(o => attic.SetFault(o.StoreHash, Fault.Truncated));
        await using var second = await NarGuardProcess.StartAsync(attic.CacheUrl, _spool);

        Assert.Empty(Files("tmp"));
        Assert.Contains(second.Output, l => l.Contains("removed_leftovers=4", StringComparison.Ordinal));
        foreach (var obj in stalled)
        {
            // The upstream still sends half: 404, and nothing of the killed write was kept or served.
            using var broken = await http.GetAsync($"{second.BaseUrl}/main/nar/{obj.StoreHash}.nar");
            Assert.Equal(HttpStatusCode.NotFound, broken.StatusCode);
        }
        Assert.Equal(done.Body, await http.GetByteArrayAsync($"{second.BaseUrl}/main/nar/{done.StoreHash}.nar"));
        Assert.Equal(1, attic.NarRequests(done.StoreHash)); // the verified NAR survived the kill in the spool
        Assert.Single(Files("nar"));
        Assert.Empty(Files("tmp"));
    }

    [Fact]
    public async Task Killed_while_many_nars_stream_in_every_answer_after_the_restart_is_whole()
    {
        await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { ChunkSize = 16 * 1024 });
        var objects = Enumerable.Range(0, 24).Select(i => attic.Add(StorePaths.Make("busy" + i), Nar.OfFile(System.Security.Cryptography.RandomNumberGenerator.GetBytes(600_000 + i * 10_000)))).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        var first = await NarGuardProcess.StartAsync(attic.CacheUrl, _spool);
        await using (first)
        {
            var pending = objects.Select(o => http.GetAsync($"{first.BaseUrl}/main/nar/{o.StoreHash}.nar")).ToList();
            // Kill as soon as some bodies are committed and others are still being written: whatever the timing,
            // the restart must find only whole, verified entries.
            await WaitForAsync(() => Files("nar").Length > 0 || Files("tmp").Length > 0, "spool activity");
            await first.KillHardAsync();
            await Task.WhenAll(pending.Select(p => p.ContinueWith(t => t.Exception, TaskScheduler.Default)));
        }

        await using var second = await NarGuardProcess.StartAsync(attic.CacheUrl, _spool);
        Assert.Empty(Files("tmp"));
        Assert.All(Files("nar"), f => Assert.True(File.Exists(Path.Combine(_spool, "narinfo", Path.GetFileName(f)[..32] + ".narinfo")), f));
        foreach (var obj in objects)
        {
            Assert.Equal(obj.Body, await http.GetByteArrayAsync($"{second.BaseUrl}/main/nar/{obj.StoreHash}.nar"));
        }
    }
}
