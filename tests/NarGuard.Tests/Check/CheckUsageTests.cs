using System.Text.Json;
using AtticEmulator;
using NarGuard.Hosting;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Check;

/// <summary>Exit code 2: bad usage (before any I/O) and an upstream whose nix-cache-info cannot be fetched.</summary>
public sealed class CheckUsageTests
{
    private const string Hash = "0c1zqxrwqs2g9sg7pljcysaahrzr7v4q";

    public static TheoryData<string[], string> BadUsage => new()
    {
        { [], "--upstream: required" },
        { ["--store-hash", Hash], "--upstream: required" },
        { ["--upstream", "http://127.0.0.1:1/main"], "nothing to check" },
        { ["--upstream", "ftp://example.org/main", Hash], "--upstream: 'ftp://example.org/main' is not an absolute http" },
        { ["--upstream", "http://user:pw@example.org/main", Hash], "must not carry a query, fragment or user info" },
        { ["--upstream", "http://127.0.0.1:1/main", "not-a-hash"], "--store-hash: 'not-a-hash' is neither a store hash" },
        { ["--upstream", "http://127.0.0.1:1/main", "--store-hash"], "--store-hash: needs at least one" },
        { ["--upstream", "http://127.0.0.1:1/main", Hash, "--concurrency", "0"], "--concurrency: '0' is not a whole number from 1 to 64" },
        { ["--upstream", "http://127.0.0.1:1/main", Hash, "--sample", "0"], "--sample: '0' is not a whole number of at least 1" },
        { ["--upstream", "http://127.0.0.1:1/main", Hash, "--seed", "3"], "--seed: only meaningful with --sample" },
        { ["--upstream", "http://127.0.0.1:1/main", Hash, "--stall-timeout", "soon"], "--stall-timeout: 'soon' is not a positive duration" },
        { ["--upstream", "http://127.0.0.1:1/main", Hash, "--frobnicate"], "--frobnicate: unknown option" },
        { ["--upstream", "http://127.0.0.1:1/main", "--from-file", "/nonexistent/paths.txt"], "--from-file: cannot read '/nonexistent/paths.txt'" },
        { ["--upstream", "http://127.0.0.1:1/main", Hash, "--netrc-file", "/nonexistent/netrc"], "--netrc-file: cannot read '/nonexistent/netrc'" },
        { ["--upstream", "http://127.0.0.1:1/main", "--closure", "/nix/store/short-name"], "--closure: '/nix/store/short-name' is neither" },
    };

    [Theory]
    [MemberData(nameof(BadUsage))]
    public async Task Bad_usage_exits_2_and_names_the_switch(string[] args, string message)
    {
        var run = await CheckHarness.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task Every_usage_error_is_reported_at_once()
    {
        var run = await CheckHarness.RunAsync(["--concurrency", "99", "--sample", "x", "bogus"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--upstream: required", run.Error);
        Assert.Contains("--concurrency: '99'", run.Error);
        Assert.Contains("--sample: 'x'", run.Error);
        Assert.Contains("'bogus' is neither", run.Error);
    }

    [Fact]
    public async Task An_unreachable_upstream_exits_2()
    {
        var url = CheckHarness.UnreachableUrl();

        var run = await CheckHarness.RunAsync(["--upstream", url, "--store-hash", Hash]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"cannot fetch {url}/nix-cache-info: connection: ConnectionError", run.Error);
    }

    [Fact]
    public async Task An_unreachable_upstream_with_json_still_prints_one_json_document()
    {
        var run = await CheckHarness.RunAsync(["--upstream", CheckHarness.UnreachableUrl(), Hash, "--json"]);

        Assert.Equal(2, run.ExitCode);
        var root = run.Json().RootElement;
        Assert.Contains("nix-cache-info", root.GetProperty("error").GetString());
        Assert.Equal(0, root.GetProperty("paths").GetArrayLength());
        Assert.Equal(2, root.GetProperty("summary").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task A_wrong_cache_name_exits_2_with_a_hint()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();

        var run = await CheckHarness.RunAsync(["--upstream", attic.BaseUrl + "/nosuchcache", Hash]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("answered 404 (is the cache name in the URL right?)", run.Error);
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var run = await CheckHarness.RunAsync(["--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("usage: narguard check --upstream URL", run.Out);
    }

    [Fact]
    public async Task The_check_verb_is_dispatched_by_the_narguard_command_line()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        await using var attic = await AtticEmulatorServer.StartAsync();
        var obj = attic.Add(StorePaths.Make("dispatched"), Nar.OfText("dispatched", 50_000));

        var ok = await Cli.RunAsync(["check", "--upstream", attic.CacheUrl, obj.StorePath], stdout, stderr);
        var usage = await Cli.RunAsync(["check", "--upstream", attic.CacheUrl], stdout, stderr);

        Assert.Equal(0, ok);
        Assert.Equal(2, usage);
        Assert.Contains("ok ", stdout.ToString());
        Assert.Contains(obj.StorePath, stdout.ToString());
        Assert.Contains("nothing to check", stderr.ToString());
    }

    [Theory]
    [InlineData("45", 45_000)]
    [InlineData("45s", 45_000)]
    [InlineData("1.5", 1_500)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("00:00:30", 30_000)]
    public void Durations_are_seconds_with_an_optional_unit_or_a_timespan(string text, int milliseconds)
    {
        Assert.True(NarGuard.Check.CheckArguments.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public async Task Json_paths_carry_exactly_the_documented_fields()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var obj = attic.Add(StorePaths.Make("fields"), Nar.OfText("fields", 20_000));

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, obj.StoreHash, "--json"]);

        var path = Assert.Single(run.JsonPaths().Values);
        Assert.Equal(
            ["bytes", "detail", "narSize", "redirects", "seconds", "status", "storeHash", "storePath", "throughputMiBps", "upstreamStatus"],
            path.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(attic.CacheUrl, run.Json().RootElement.GetProperty("upstream").GetString());
    }

    [Fact]
    public async Task Exit_is_0_when_every_path_is_ok()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var a = attic.Add(StorePaths.Make("a"), Nar.OfText("a", 70_000));
        var b = attic.Add(StorePaths.Make("b"), Nar.OfText("b", 70_000));

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--store-hash", a.StoreHash, b.StorePath, "--json"]);

        Assert.Equal(0, run.ExitCode);
        var paths = run.JsonPaths();
        Assert.Equal("ok", paths[a.StorePath].GetProperty("status").GetString());
        Assert.Equal("ok", paths[b.StorePath].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, paths[a.StorePath].GetProperty("throughputMiBps").ValueKind);
    }
}
