using AtticEmulator;
using NarGuard.Check;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Check;

/// <summary>The token reaches a private cache from --token, NARGUARD_UPSTREAM_TOKEN or a netrc file, and never reaches the output.</summary>
public sealed class CheckAuthTests
{
    private const string Token = "tok-SECRET-7f3a9c";

    private static async Task<(AtticEmulatorServer Attic, StoreObject Healthy, StoreObject Empty, StoreObject Redirected, StoreObject Refused)> StartPrivateAsync()
    {
        var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { BearerToken = Token });
        var healthy = attic.Add(StorePaths.Make("healthy"), Nar.OfText("healthy", 60_000));
        var empty = attic.Add(StorePaths.Make("empty"), Nar.OfText("empty", 60_000));
        var redirected = attic.Add(StorePaths.Make("redirected"), Nar.OfText("redirected", 60_000));
        var refused = attic.Add(StorePaths.Make("refused"), Nar.OfText("refused", 60_000));
        attic.SetFault(empty.StoreHash, Fault.Empty);
        attic.SetFault(redirected.StoreHash, Fault.Redirect);
        attic.SetFault(refused.StoreHash, Fault.Unauthorized);
        return (attic, healthy, empty, redirected, refused);
    }

    public static TheoryData<string, bool> Sources => new()
    {
        { "--token", false }, { "--token", true },
        { "environment", false }, { "environment", true },
        { "netrc", false }, { "netrc", true },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task The_token_opens_a_private_cache_and_never_appears_in_the_output(string source, bool json)
    {
        var (attic, healthy, empty, redirected, refused) = await StartPrivateAsync();
        await using var _ = attic;
        var netrc = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(netrc, $"machine example.org password nope\nmachine 127.0.0.1 login attic password {Token}\n");
            List<string> args = ["--upstream", attic.CacheUrl, healthy.StorePath, empty.StorePath, redirected.StorePath, refused.StorePath];
            Dictionary<string, string>? environment = null;
            switch (source)
            {
                case "--token":
                    args.AddRange(["--token", Token]);
                    break;
                case "environment":
                    environment = new() { [CheckCommand.TokenVariable] = Token };
                    break;
                default:
                    args.AddRange(["--netrc-file", netrc]);
                    break;
            }
            if (json)
            {
                args.Add("--json");
            }

            var run = await CheckHarness.RunAsync(args, environment: environment);

            Assert.Equal(1, run.ExitCode);
            Assert.DoesNotContain(Token, run.All);
            Assert.DoesNotContain("X-Amz-Signature", run.All);
            Assert.Equal(1, attic.StorageRequests(redirected.StoreHash));
            if (json)
            {
                var paths = run.JsonPaths();
                Assert.Equal("ok", paths[healthy.StorePath].GetProperty("status").GetString());
                Assert.Equal("empty", paths[empty.StorePath].GetProperty("status").GetString());
                Assert.Equal("ok", paths[redirected.StorePath].GetProperty("status").GetString());
                Assert.Equal("upstream_status", paths[refused.StorePath].GetProperty("status").GetString());
                Assert.Equal(401, paths[refused.StorePath].GetProperty("upstreamStatus").GetInt32());
            }
            else
            {
                Assert.StartsWith("ok ", run.LineOf(healthy.StorePath));
                Assert.StartsWith("empty ", run.LineOf(empty.StorePath));
            }
        }
        finally
        {
            File.Delete(netrc);
        }
    }

    [Fact]
    public async Task A_wrong_token_exits_2_without_printing_it()
    {
        var (attic, healthy, _, _, _) = await StartPrivateAsync();
        await using var _ = attic;
        const string wrong = "tok-WRONG-91be44";

        var plain = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, healthy.StorePath, "--token", wrong]);
        var json = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, healthy.StorePath, "--json"], environment: new Dictionary<string, string> { [CheckCommand.TokenVariable] = wrong });

        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("answered 401 (is the token right?)", plain.Error);
        Assert.DoesNotContain(wrong, plain.All);
        Assert.Equal(2, json.ExitCode);
        Assert.DoesNotContain(wrong, json.All);
    }

    [Fact]
    public async Task No_token_at_all_is_a_401_on_nix_cache_info_and_exit_2()
    {
        var (attic, healthy, _, _, _) = await StartPrivateAsync();
        await using var _ = attic;

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, healthy.StorePath]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("nix-cache-info: answered 401", run.Error);
    }

    [Fact]
    public async Task The_command_line_token_wins_over_the_environment_and_netrc()
    {
        var (attic, healthy, _, _, _) = await StartPrivateAsync();
        await using var _ = attic;
        var netrc = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(netrc, "default password from-netrc\n");

            var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, healthy.StorePath, "--token", Token, "--netrc-file", netrc],
                environment: new Dictionary<string, string> { [CheckCommand.TokenVariable] = "from-environment" });

            Assert.Equal(0, run.ExitCode);
        }
        finally
        {
            File.Delete(netrc);
        }
    }

    [Fact]
    public async Task A_pasted_token_in_an_input_error_is_masked()
    {
        var run = await CheckHarness.RunAsync(["--upstream", "http://127.0.0.1:1/main", Token, "--token", Token]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'***' is neither", run.Error);
        Assert.DoesNotContain(Token, run.All);
    }

    [Theory]
    [InlineData("redirect to http://s3.local:9000/attic/x.nar?X-Amz-Signature=abc&X-Amz-Credential=k failed", "redirect to http://s3.local:9000/attic/x.nar?*** failed")]
    [InlineData("Bearer s3cr3t rejected", "Bearer *** rejected")]
    [InlineData("no url here", "no url here")]
    public void Redaction_masks_the_secret_and_url_queries(string text, string expected)
    {
        Assert.Equal(expected, Redaction.Clean(text, "s3cr3t"));
    }
}
