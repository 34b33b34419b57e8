using System.Text.Json;
using AtticEmulator;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Check;

/// <summary>
/// The acceptance case: one closure behind one root, with a healthy path, an empty body, a truncated one,
/// a corrupt one, a NAR 404 and a path reached through a 307. Every path is found by the walk and gets its verdict.
/// </summary>
public sealed class CheckClosureTests
{
    [Fact]
    public async Task Json_report_names_every_path_of_the_closure_with_its_reason_and_exit_is_1()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var closure = CheckHarness.AddClosure(attic);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--closure", closure.Root.StorePath, "--json"]);

        Assert.Equal(1, run.ExitCode);
        var paths = run.JsonPaths();
        Assert.Equal(closure.All.Select(o => o.StorePath).Order(), paths.Keys.Order());
        Assert.Equal("ok", Status(paths, closure.Root));
        Assert.Equal("empty", Status(paths, closure.Empty));
        Assert.Equal("truncated", Status(paths, closure.Truncated));
        Assert.Equal("hash_mismatch", Status(paths, closure.Corrupt));
        Assert.Equal("upstream_status", Status(paths, closure.Missing));
        Assert.Equal("ok", Status(paths, closure.Redirected));

        Assert.Equal(404, paths[closure.Missing.StorePath].GetProperty("upstreamStatus").GetInt32());
        Assert.Equal(1, paths[closure.Redirected.StorePath].GetProperty("redirects").GetInt32());
        Assert.Equal(200, paths[closure.Redirected.StorePath].GetProperty("upstreamStatus").GetInt32());
        Assert.Equal(0, paths[closure.Empty.StorePath].GetProperty("bytes").GetInt64());
        var root = paths[closure.Root.StorePath];
        Assert.Equal(closure.Root.NarSize, root.GetProperty("narSize").GetInt64());
        Assert.Equal(closure.Root.Body.Length, root.GetProperty("bytes").GetInt64());
        Assert.Equal(closure.Root.StoreHash, root.GetProperty("storeHash").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("detail").ValueKind);
        Assert.True(root.GetProperty("throughputMiBps").GetDouble() > 0);
        Assert.True(root.GetProperty("seconds").GetDouble() >= 0);
        Assert.Contains("NarHash", paths[closure.Corrupt.StorePath].GetProperty("detail").GetString());

        var summary = run.Json().RootElement.GetProperty("summary");
        Assert.Equal(6, summary.GetProperty("total").GetInt32());
        Assert.Equal(2, summary.GetProperty("ok").GetInt32());
        Assert.Equal(4, summary.GetProperty("broken").GetInt32());
        Assert.Equal(1, summary.GetProperty("byStatus").GetProperty("truncated").GetInt32());
        Assert.Equal(1, summary.GetProperty("exitCode").GetInt32());
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Plain_lines_name_each_path_and_its_reason_when_output_is_not_a_terminal()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var closure = CheckHarness.AddClosure(attic);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--closure", closure.Root.StorePath, "--concurrency", "2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("ok ", run.LineOf(closure.Root.StorePath));
        Assert.StartsWith("empty ", run.LineOf(closure.Empty.StorePath));
        Assert.StartsWith("truncated ", run.LineOf(closure.Truncated.StorePath));
        Assert.StartsWith("hash_mismatch ", run.LineOf(closure.Corrupt.StorePath));
        Assert.StartsWith("upstream_status ", run.LineOf(closure.Missing.StorePath));
        Assert.Contains("upstream_status=404", run.LineOf(closure.Missing.StorePath));
        Assert.StartsWith("ok ", run.LineOf(closure.Redirected.StorePath));
        Assert.Contains("redirects=1", run.LineOf(closure.Redirected.StorePath));
        Assert.Contains($"nar_size={closure.Root.NarSize} bytes={closure.Root.Body.Length} ", run.LineOf(closure.Root.StorePath));
        Assert.Contains("6 paths: 2 ok, 4 broken (empty 1, hash_mismatch 1, truncated 1, upstream_status 1)", run.Out);
        Assert.DoesNotContain("\u001b[", run.Out);
    }

    [Fact]
    public async Task A_healthy_closure_exits_0_and_each_path_is_fetched_once()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var closure = CheckHarness.AddClosure(attic, broken: false);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--closure", closure.Root.StorePath, "--json"]);

        Assert.Equal(0, run.ExitCode);
        Assert.All(run.JsonPaths().Values, p => Assert.Equal("ok", p.GetProperty("status").GetString()));
        // The walk's narinfo is reused by the check: one narinfo and one NAR request per path.
        Assert.All(closure.All, o => Assert.Equal(1, attic.NarInfoRequests(o.StoreHash)));
        Assert.All(closure.All, o => Assert.Equal(1, attic.NarRequests(o.StoreHash)));
    }

    [Fact]
    public async Task A_reference_missing_from_the_cache_is_reported_and_keeps_its_store_path()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var absent = StorePaths.Make("never-pushed");
        var root = attic.Add(StorePaths.Make("root"), Nar.OfText("root", 10_000), [absent]);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--closure", root.StorePath]);

        Assert.Equal(1, run.ExitCode);
        var line = run.LineOf(absent);
        Assert.StartsWith("upstream_status ", line);
        Assert.Contains("narinfo answered 404", line);
    }

    [Fact]
    public async Task On_a_terminal_a_table_follows_the_progress_line()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var closure = CheckHarness.AddClosure(attic);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--closure", closure.Root.StorePath], terminal: true);

        Assert.Equal(1, run.ExitCode);
        var table = run.Out[run.Out.IndexOf("STATUS", StringComparison.Ordinal)..];
        Assert.Contains("STORE PATH", table);
        foreach (var obj in closure.All)
        {
            Assert.Contains(obj.StorePath, table);
        }
        Assert.Contains("why: ", table);
        Assert.Contains("* reached through a redirect", table);
        Assert.Contains("6 paths: 2 ok, 4 broken", table);
    }

    [Fact]
    public async Task Through_the_proxy_broken_paths_are_the_proxys_404s_and_the_307_is_followed_by_the_proxy()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var closure = CheckHarness.AddClosure(proxy.Upstream);

        var run = await CheckHarness.RunAsync(["--upstream", proxy.BaseUrl + "/main", "--closure", closure.Root.StorePath, "--json"]);

        Assert.Equal(1, run.ExitCode);
        var paths = run.JsonPaths();
        Assert.Equal(6, paths.Count);
        Assert.Equal("ok", Status(paths, closure.Root));
        Assert.Equal("ok", Status(paths, closure.Redirected));
        // The proxy followed the 307 itself and answered 200 from its spool.
        Assert.Equal(0, paths[closure.Redirected.StorePath].GetProperty("redirects").GetInt32());
        foreach (var broken in new[] { closure.Empty, closure.Truncated, closure.Corrupt, closure.Missing })
        {
            Assert.Equal("upstream_status", Status(paths, broken));
            Assert.Equal(404, paths[broken.StorePath].GetProperty("upstreamStatus").GetInt32());
        }
    }

    [Fact]
    public async Task A_stalled_body_is_a_timeout_after_the_stall_timeout()
    {
        await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { StallDuration = TimeSpan.FromSeconds(20) });
        var obj = attic.Add(StorePaths.Make("stall"), Nar.OfText("stall", 300_000));
        attic.SetFault(obj.StoreHash, Fault.Stall);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--store-hash", obj.StoreHash, "--stall-timeout", "500ms"]);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("timeout ", run.LineOf(obj.StorePath));
    }

    private static string? Status(Dictionary<string, JsonElement> paths, StoreObject obj) => paths[obj.StorePath].GetProperty("status").GetString();
}
