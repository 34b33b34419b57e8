using System.Diagnostics;
using System.Net;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>
/// The spool on a 2 MiB tmpfs: a NAR that does not fit answers 404 spool_error with a clear log line, one that fits is
/// served whole, and nothing half-written is left behind or served. Needs root (mount); CI runs as root. As any
/// other user the test has nothing to mount and says so in its output.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly string _mount = Path.Combine(Path.GetTempPath(), "narguard-full-" + Guid.NewGuid().ToString("N"));
    private bool _mounted;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_mount);
        if (Environment.UserName != "root")
        {
            return;
        }
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount));
        _mounted = true;
    }

    public async Task DisposeAsync()
    {
        if (_mounted)
        {
            await RunAsync("umount", _mount);
        }
        Directory.Delete(_mount, recursive: true);
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        args.ToList().ForEach(info.ArgumentList.Add);
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    [Fact]
    public async Task With_the_spool_disk_full_nars_answer_404_spool_error_or_whole_never_corrupt()
    {
        if (!_mounted)
        {
            Console.WriteLine("DiskFullTests: not root, no tmpfs to fill; skipped");
            return;
        }
        await using var proxy = await ProxyFixture.StartAsync(spoolDir: _mount);
        // Random bytes do not compress: the body is as large as the NAR.
        var tooBig = proxy.Upstream.Add(StorePaths.Make("too-big"), Nar.OfFile(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * 1024 * 1024)));
        var fits = proxy.Upstream.Add(StorePaths.Make("fits"), Nar.OfText("fits", 200_000));

        using var refused = await proxy.Client.GetAsync($"nar/{tooBig.StoreHash}.nar");
        using var served = await proxy.Client.GetAsync($"nar/{fits.StoreHash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("spool_error", refused.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("reason=spool_error", StringComparison.Ordinal) && l.Contains(tooBig.StoreHash, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(fits.Body, await served.Content.ReadAsByteArrayAsync());
        Assert.Empty(proxy.SpoolTempFiles());
        Assert.Single(proxy.SpoolNarFiles());
        // A spool error is the disk's fault, not the NAR's: no quarantine, the next request tries again.
        using var retried = await proxy.Client.GetAsync($"nar/{tooBig.StoreHash}.nar");
        Assert.Equal("spool_error", retried.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(2, proxy.Upstream.NarRequests(tooBig.StoreHash));
    }

    [Fact]
    public async Task Filled_to_the_last_byte_by_something_else_the_spool_refuses_cleanly_and_recovers_when_space_returns()
    {
        if (!_mounted)
        {
            Console.WriteLine("DiskFullTests: not root, no tmpfs to fill; skipped");
            return;
        }
        await using var proxy = await ProxyFixture.StartAsync(spoolDir: _mount);
        var filler = Path.Combine(_mount, "filler");
        await using (var fill = new FileStream(filler, FileMode.CreateNew))
        {
            var block = new byte[64 * 1024];
            // Bounded: 2 MiB of tmpfs is at most 32 blocks.
            for (var i = 0; i < 64; i++)
            {
                try
                {
                    fill.Write(block);
                    fill.Flush();
                }
                catch (IOException)
                {
                    break;
                }
            }
        }
        var small = proxy.Upstream.Add(StorePaths.Make("small"), Nar.OfText("small", 50_000));

        using var refused = await proxy.Client.GetAsync($"nar/{small.StoreHash}.nar");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("spool_error", refused.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Empty(proxy.SpoolTempFiles());
        Assert.Empty(proxy.SpoolNarFiles());

        File.Delete(filler);
        Assert.Equal(small.Body, await proxy.Client.GetByteArrayAsync($"nar/{small.StoreHash}.nar"));
    }
}
