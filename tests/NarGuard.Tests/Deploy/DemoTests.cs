using AtticEmulator;
using NarGuard.Demo;
using Xunit;

namespace NarGuard.Tests.Deploy;

/// <summary>`narguard demo` shows the guarantee it claims: every fault that fails a build straight from the upstream is a clean 404 through NarGuard.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Every_fault_fails_straight_and_is_a_clean_404_through_the_guard()
    {
        await using var session = await DemoSession.StartAsync();
        var report = await session.RunAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);

        Assert.Equal(DemoCase.All.Count, report.Rows.Count);
        Assert.True(report.GuardHolds, DemoTable.Render(report));
        var rows = report.Rows.ToDictionary(r => r.Case.Name);

        // The healthy path is served both ways, verified.
        Assert.Equal(NixOutcome.Substitutes, rows["healthy"].Direct.Outcome);
        Assert.Equal(NixOutcome.Substitutes, rows["healthy"].Guarded.Outcome);
        Assert.True(rows["healthy"].Guarded.Verifies);

        // The incident: 200 with no byte straight; a 404 with its reason through the guard.
        var empty = rows["empty"];
        Assert.Equal(200, empty.Direct.Nar!.Status);
        Assert.Equal(0, empty.Direct.Nar.Bytes);
        Assert.Equal("cut off", empty.Direct.Nar.Failure);
        Assert.Equal(NixOutcome.Fails, empty.Direct.Outcome);
        Assert.Equal(404, empty.Guarded.Nar!.Status);
        Assert.Equal("empty", empty.Guarded.Nar.Reason);

        var expectedReasons = new Dictionary<string, string>
        {
            ["truncated"] = "truncated",
            ["corrupt"] = "hash_mismatch",
            ["garbage"] = "decompress_error",
            ["nar-500"] = "upstream_status",
            ["incomplete"] = "upstream_status",
            ["reset"] = "upstream_error",
            ["stall"] = "timeout",
            ["redirect-broken"] = "empty",
            ["redirect-foreign"] = "redirect_denied",
            ["size-bomb"] = "size_mismatch",
        };
        foreach (var (name, reason) in expectedReasons)
        {
            Assert.Equal(404, rows[name].Guarded.Nar?.Status);
            Assert.Equal(reason, rows[name].Guarded.Nar?.Reason);
            Assert.Equal(NixOutcome.BuildsLocally, rows[name].Guarded.Outcome);
        }

        // Everything but the foreign redirect (which a client follows) and the plain 404 fails a build straight.
        foreach (var row in report.Rows.Where(r => r.Case.Fault is not (Fault.Healthy or Fault.RedirectForeign or Fault.NarNotFound)))
        {
            Assert.True(row.Direct.Outcome == NixOutcome.Fails, $"{row.Case.Name} straight: {row.Direct}");
        }
        // Broken narinfos are never passed on: the client gets a 404 and never asks for the NAR.
        Assert.Equal(500, rows["narinfo-500"].Direct.NarInfo.Status);
        Assert.Equal(404, rows["narinfo-500"].Guarded.NarInfo.Status);
        Assert.False(rows["narinfo-junk"].Direct.NarInfoParses);
        Assert.Equal(404, rows["narinfo-junk"].Guarded.NarInfo.Status);
        Assert.Null(rows["narinfo-junk"].Guarded.Nar);
    }

    [Fact]
    public async Task Once_prints_the_table_and_exits_0()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await DemoCommand.RunAsync(["--once"], stdout, stderr);

        var text = stdout.ToString();
        Assert.True(exit == DemoCommand.ExitOk, text + stderr);
        Assert.Contains("straight from the upstream", text);
        Assert.Contains("through NarGuard", text);
        var lines = text.Split('\n');
        // One row per path: the empty path fails straight and is a 404 "empty" through the guard.
        var emptyRow = Assert.Single(lines, l => l.StartsWith("empty ", StringComparison.Ordinal));
        Assert.Matches(@"200 cut off\s+0 .*FAILS\s+│ 200\s+404\s+\d+ -\s+empty\s+builds it", emptyRow);
        var healthyRow = Assert.Single(lines, l => l.StartsWith("healthy ", StringComparison.Ordinal));
        Assert.Matches(@"verifies substitutes │ 200\s+200\s+\d+ verifies\s+substitutes", healthyRow);
        Assert.Contains("through NarGuard:           1 substituted, 14 built locally, 0 failed builds", text);
        // --once does not wait for Ctrl-C, so it prints no hints.
        Assert.DoesNotContain("Ctrl-C", text);
    }

    [Fact]
    public async Task Refuses_to_expose_the_fault_injecting_upstream()
    {
        var stderr = new StringWriter();
        var exit = await DemoCommand.RunAsync(["--once", "--upstream-listen", "http://0.0.0.0:0"], new StringWriter(), stderr);
        Assert.Equal(DemoCommand.ExitUsage, exit);
        Assert.Contains("loopback", stderr.ToString());
    }

    [Fact]
    public void Hints_name_curl_always_and_nix_only_where_it_is_installed()
    {
        var healthy = new DemoRow(DemoCase.All[0], "/nix/store/" + new string('a', 32) + "-narguard-demo-healthy", Route(), Route());
        var empty = new DemoRow(DemoCase.All[1], "/nix/store/" + new string('b', 32) + "-narguard-demo-empty", Route(), Route());
        var junk = new DemoRow(DemoCase.All.Single(c => c.Fault == Fault.NarInfoGarbage), "/nix/store/" + new string('c', 32) + "-narguard-demo-narinfo-junk", Route(), Route());
        var report = new DemoReport("http://127.0.0.1:1/main", "http://127.0.0.1:2/main", [healthy, empty, junk]);

        var withNix = DemoHints.Render(report, nixInstalled: true);
        Assert.Contains("curl -s -o /dev/null", withNix);
        Assert.Contains($"$NG/nar/{empty.StoreHash}.nar", withNix);
        Assert.Contains("nix-store --realise " + empty.StorePath, withNix);
        // A narinfo fault is shown on the narinfo, where it is.
        Assert.Contains($"$NG/{junk.StoreHash}.narinfo", withNix);
        Assert.DoesNotContain("nix-store --realise /nix/store", DemoHints.Render(report, nixInstalled: false));

        static RouteResult Route() => new(new Answer(200, 10, null, null), true, new Answer(200, 10, null, null), true, NixOutcome.Substitutes);
    }
}
