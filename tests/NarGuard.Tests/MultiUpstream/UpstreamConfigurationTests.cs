using AtticEmulator;
using NarGuard.Configuration;
using NarGuard.Hosting;
using NarGuard.Upstream;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>Several upstreams in the configuration: the command line, per-upstream overrides, names, and the StoreDir check at start.</summary>
public sealed class UpstreamConfigurationTests
{
    private static NarGuardConfiguration.Loaded Load(string[] args, Dictionary<string, string?>? environment = null) =>
        NarGuardConfiguration.Load([.. args, "--config", Path.Combine(AppContext.BaseDirectory, "config", "narguard.json")], environment ?? []);

    [Fact]
    public void A_repeated_upstream_switch_becomes_the_ordered_list_and_a_value_may_name_its_upstream()
    {
        var loaded = Load(["--upstream", "attic=http://127.0.0.1:8080/main", "--upstream", "https://cache.nixos.org", "--upstream=team=http://attic-b:8080/team"]);

        Assert.Empty(loaded.Errors);
        var upstreams = UpstreamList.Resolve(loaded.Options!);
        Assert.Equal(["attic", "u2", "team"], upstreams.Select(u => u.Name));
        Assert.Equal(["http://127.0.0.1:8080/main", "https://cache.nixos.org", "http://attic-b:8080/team"], upstreams.Select(u => u.Options.Upstream));
        Assert.Equal(["Upstream", "Upstreams:0", "Upstreams:1"], upstreams.Select(u => u.ConfigKey));
    }

    [Fact]
    public void A_single_upstream_switch_keeps_working_unchanged()
    {
        var loaded = Load(["--upstream", "http://127.0.0.1:8080/main", "--upstream-host", "attic.example"]);

        Assert.Empty(loaded.Errors);
        Assert.Equal("http://127.0.0.1:8080/main", loaded.Options!.Upstream);
        Assert.Empty(loaded.Options.Upstreams);
        var only = Assert.Single(UpstreamList.Resolve(loaded.Options));
        Assert.Equal("u1", only.Name);
        Assert.Equal("attic.example", only.Options.UpstreamHost);
    }

    [Fact]
    public void Per_upstream_overrides_apply_to_that_upstream_and_everything_unset_is_the_top_level_value()
    {
        var loaded = Load([
            "--upstream", "http://127.0.0.1:8080/main",
            "--Timeouts:Stall", "00:00:07",
            "--Redirects:AllowedHosts:0", "s3.example",
            "--Resilience:Circuit:BreakDuration", "00:00:45",
            "--Upstreams:0:Name", "nixos",
            "--Upstreams:0:Url", "https://cache.nixos.org",
            "--Upstreams:0:Host", "cache.nixos.org",
            "--Upstreams:0:Timeouts:NarInfo", "00:00:03",
            "--Upstreams:0:Redirects:AllowedHosts:0", "cdn.example",
            "--Upstreams:0:Circuit:MinimumThroughput", "20",
        ]);

        Assert.Empty(loaded.Errors);
        var upstreams = UpstreamList.Resolve(loaded.Options!);
        var (first, nixos) = (upstreams[0].Options, upstreams[1].Options);
        Assert.Equal(TimeSpan.FromSeconds(15), first.Timeouts.NarInfo);
        Assert.Equal(TimeSpan.FromSeconds(3), nixos.Timeouts.NarInfo);
        Assert.Equal(TimeSpan.FromSeconds(7), nixos.Timeouts.Stall);
        Assert.Equal(["s3.example"], first.Redirects.AllowedHosts);
        Assert.Equal(["cdn.example"], nixos.Redirects.AllowedHosts);
        Assert.Equal(10, first.Resilience.Circuit.MinimumThroughput);
        Assert.Equal(20, nixos.Resilience.Circuit.MinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(45), nixos.Resilience.Circuit.BreakDuration);
        Assert.Equal("cache.nixos.org", nixos.UpstreamHost);
        Assert.Null(nixos.UpstreamToken);

        var endpoint = new UpstreamEndpoint(nixos);
        Assert.True(endpoint.IsAllowedTarget(new Uri("https://cdn.example/x")));
        Assert.False(endpoint.IsAllowedTarget(new Uri("https://s3.example/x")));
    }

    [Fact]
    public void A_list_without_Upstream_starts_with_its_own_first_entry()
    {
        var loaded = Load(["--Upstreams:0:Url", "http://127.0.0.1:8080/main", "--Upstreams:0:Name", "attic", "--Upstreams:1:Url", "https://cache.nixos.org"]);

        Assert.Empty(loaded.Errors);
        Assert.Equal(["attic", "u2"], UpstreamList.Resolve(loaded.Options!).Select(u => u.Name));
    }

    [Theory]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "http://b/main", "--Upstreams:0:Name", "Bad_Name" }, "Upstreams:0:Name: 'Bad_Name' is not a name")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "http://b/main", "--Upstreams:0:Name", "u1" }, "Upstreams:0:Name: 'u1' is already the name of UpstreamName")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Name", "b" }, "Upstreams:0:Url: required")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "ftp://b/main" }, "Upstreams:0:Url: 'ftp://b/main' is not an absolute http:// or https:// URL")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "http://b/main", "--Upstreams:0:Timeouts:Stall", "00:10:00" }, "Upstreams:0:Timeouts:Stall:")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "http://b/main", "--Upstreams:0:Circuit:FailureRatio", "2" }, "Upstreams:0:Circuit:FailureRatio:")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "http://b/main", "--Upstreams:0:Token", "t", "--Upstreams:0:TokenFile", "/nonexistent" }, "Upstreams:0:Token / Upstreams:0:TokenFile: set one, not both")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Upstreams:0:Url", "http://b/main", "--Upstreams:0:Colour", "red" }, "Upstreams:0:Colour")]
    [InlineData(new[] { "--upstream", "http://a/main", "--Hedging:Delay", "-00:00:01" }, "Hedging:Delay: must not be negative")]
    [InlineData(new[] { "--upstream", "http://a/main", "--CacheInfo:StoreDir", "nix/store" }, "CacheInfo:StoreDir: 'nix/store' is not an absolute directory")]
    [InlineData(new[] { "--upstream", "http://a/main", "--CacheInfo:Priority", "-1" }, "CacheInfo:Priority: must be between 0 and 1000")]
    [InlineData(new[] { "--Upstreams:0:Url", "http://a/main", "--UpstreamToken", "t" }, "UpstreamToken: applies to Upstream, which is not set; give the first entry its own (Upstreams:0:Token)")]
    [InlineData(new[] { "--Upstreams:0:Url", "http://a/main", "--UpstreamHost", "cache.example.org" }, "UpstreamHost: applies to Upstream, which is not set")]
    public void A_bad_upstream_setting_is_refused_and_the_message_names_the_key(string[] args, string expected)
    {
        var loaded = Load(args);
        Assert.Null(loaded.Options);
        Assert.Contains(loaded.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_repeated_upstream_switch_and_a_list_in_the_environment_are_refused_together()
    {
        var loaded = Load(["--upstream", "http://a/main", "--upstream", "http://b/main"], new() { ["NARGUARD_Upstreams__0__Url"] = "http://c/main", ["NARGUARD_Upstreams__0__Token"] = "secret" });

        Assert.Null(loaded.Options);
        Assert.Contains(loaded.Errors, e => e.StartsWith("Upstreams: set in the config file or environment, and --upstream given 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reachable_upstream_with_another_StoreDir_stops_the_program_with_exit_2_naming_it()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        using var gnu = WireMockServer.Start();
        gnu.Given(Request.Create().WithPath("/other/nix-cache-info").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("StoreDir: /gnu/store\nPriority: 50\n"));
        var spool = Path.Combine(Path.GetTempPath(), "narguard-test-" + Guid.NewGuid().ToString("N"));
        var stderr = new StringWriter();
        try
        {
            var exit = await Cli.RunAsync(["serve", "--upstream", attic.CacheUrl, "--upstream", "guix=" + gnu.Url + "/other", "--listen", "http://127.0.0.1:0", "--spool", spool], new StringWriter(), stderr);

            Assert.Equal(2, exit);
            Assert.Contains("Upstreams:0:Url: upstream 'guix' serves StoreDir /gnu/store, but CacheInfo:StoreDir is /nix/store", stderr.ToString());
            Assert.DoesNotContain("'u1'", stderr.ToString());
        }
        finally
        {
            if (Directory.Exists(spool))
            {
                Directory.Delete(spool, recursive: true);
            }
        }
    }

    [Fact]
    public async Task An_unreachable_upstream_only_warns_at_start()
    {
        await using var proxy = await Support.ProxyFixture.StartAsync(o => o.Upstreams.Add(new UpstreamOptions { Name = "down", Url = "http://127.0.0.1:1/main" }));
        var set = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<UpstreamSet>(proxy.App.Services);
        var logs = new Support.CapturedLogs();

        var errors = await CacheInfoStartupCheck.RunAsync(set, proxy.Options, logs.CreateLogger("test"));

        Assert.Empty(errors);
        Assert.Contains(logs.Lines, l => l.StartsWith("nix-cache-info: upstream=down not checked at start", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("upstream=u1", StringComparison.Ordinal));
    }
}
