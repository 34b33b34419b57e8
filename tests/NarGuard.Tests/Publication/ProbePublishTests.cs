using System.Diagnostics;
using System.Text.Json;
using AtticEmulator;
using NarGuard.Check;
using NarGuard.Publication.Probe;
using NarGuard.Tests.Health;
using Xunit;

namespace NarGuard.Tests.Publication;

/// <summary>
/// narguard probe-publish against the emulator in S3 mode on a real s3rver: healthy storage (0); the bucket index
/// lost before the push (1: the small path deduplicates and is "published", the fresh ones fail, and nothing reads
/// back); lost between push and read-back (1: every push ok, every read-back empty); usage errors (2).
/// </summary>
public sealed class ProbePublishTests
{
    [Fact]
    public async Task Healthy_storage_publishes_and_verifies_everything()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3, token: "push-token"));

        var (exit, json, stderr) = await RunJsonAsync(s3, ["--upstream", attic.CacheUrl, "--profile", "closure", "--count", "3", "--token", "push-token"]);

        Assert.True(exit == 0, stderr + json);
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("ok", json.GetProperty("storageBefore").GetProperty("state").GetString());
        Assert.Equal("ok", json.GetProperty("storageAfter").GetProperty("state").GetString());
        var paths = json.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal(5, paths.Count); // the small path, 3 fresh ones, the root
        Assert.All(paths, p => Assert.Equal("ok", p.GetProperty("readBack").GetProperty("status").GetString()));
        Assert.Equal(5, json.GetProperty("summary").GetProperty("uploaded").GetInt32());
        Assert.DoesNotContain("push-token", json.ToString(), StringComparison.Ordinal);

        // The small profile's NAR is now known: a second run deduplicates it without writing to storage.
        var objects = BucketIndex.ObjectCount(s3, "attic");
        var (again, small, _) = await RunJsonAsync(s3, ["--upstream", attic.CacheUrl, "--token", "push-token"]);
        Assert.Equal(0, again);
        Assert.Equal("deduplicated", Assert.Single(small.GetProperty("paths").EnumerateArray()).GetProperty("push").GetProperty("result").GetString());
        Assert.Equal(objects, BucketIndex.ObjectCount(s3, "attic"));
    }

    [Fact]
    public async Task Bucket_index_lost_before_the_push_small_path_passes_the_closure_fails()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        Assert.Equal(0, (await RunJsonAsync(s3, ["--upstream", attic.CacheUrl])).Exit);

        BucketIndex.Lose(s3, "attic");
        var (exit, json, _) = await RunJsonAsync(s3, ["--upstream", attic.CacheUrl, "--profile", "closure", "--count", "2"]);

        Assert.Equal(1, exit);
        Assert.False(json.GetProperty("ok").GetBoolean());
        var before = json.GetProperty("storageBefore");
        Assert.Equal("failed", before.GetProperty("state").GetString());
        Assert.Equal("list_buckets", before.GetProperty("check").GetString());
        Assert.Equal("attic", before.GetProperty("bucket").GetString());
        var paths = json.GetProperty("paths").EnumerateArray().ToList();
        // The seed's two halves in one run: the small path "publishes" (deduplicated, storage untouched)...
        Assert.Equal("deduplicated", paths[0].GetProperty("push").GetProperty("result").GetString());
        Assert.Equal("empty", paths[0].GetProperty("readBack").GetProperty("status").GetString());
        // ...and every fresh path fails as the real closure did: 500 InternalServerError.
        Assert.All(paths.Skip(1), p =>
        {
            Assert.Equal("failed", p.GetProperty("push").GetProperty("result").GetString());
            Assert.Equal(500, p.GetProperty("push").GetProperty("status").GetInt32());
            Assert.Equal("InternalServerError", p.GetProperty("push").GetProperty("error").GetString());
            Assert.Equal("-", p.GetProperty("readBack").GetProperty("status").GetString());
        });
        Assert.Equal(3, json.GetProperty("summary").GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task Bucket_index_lost_between_push_and_read_back_pushes_ok_read_back_fails()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ProbePublishCommand.RunAsync(
            ["--upstream", attic.CacheUrl, "--profile", "closure", "--count", "2", "--storage-endpoint", s3.Endpoint, "--storage-bucket", "attic", "--json"],
            Console(stdout, stderr), afterPush: _ =>
            {
                BucketIndex.Lose(s3, "attic");
                return Task.CompletedTask;
            });
        using var document = JsonDocument.Parse(stdout.ToString());
        var json = document.RootElement;

        Assert.True(exit == 1, stdout.ToString() + stderr);
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal("ok", json.GetProperty("storageBefore").GetProperty("state").GetString());
        Assert.Equal("failed", json.GetProperty("storageAfter").GetProperty("state").GetString());
        Assert.Equal("list_buckets", json.GetProperty("storageAfter").GetProperty("check").GetString());
        var paths = json.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal(4, paths.Count);
        Assert.All(paths, p =>
        {
            Assert.Equal("uploaded", p.GetProperty("push").GetProperty("result").GetString());
            Assert.Equal("empty", p.GetProperty("readBack").GetProperty("status").GetString());
            Assert.Equal(200, p.GetProperty("readBack").GetProperty("upstreamStatus").GetInt32());
            Assert.Equal(0, p.GetProperty("readBack").GetProperty("bytes").GetInt32());
        });
        Assert.Equal(4, json.GetProperty("summary").GetProperty("readBackFailed").GetInt32());
    }

    [Fact]
    public async Task The_table_names_each_push_and_read_back_and_the_storage_evidence()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ProbePublishCommand.RunAsync(
            ["--upstream", attic.CacheUrl, "--profile", "closure", "--count", "1", "--storage-endpoint", s3.Endpoint, "--storage-bucket", "attic"],
            Console(stdout, stderr), afterPush: _ =>
            {
                BucketIndex.Lose(s3, "attic");
                return Task.CompletedTask;
            });
        var text = stdout.ToString();

        Assert.True(exit == 1, text + stderr);
        Assert.StartsWith("narguard probe-publish: profile closure, 3 path(s) to " + attic.CacheUrl + " (cache main)\nstorage before: ok\n", text, StringComparison.Ordinal);
        Assert.Contains("storage after: failed check=list_buckets bucket=attic", text, StringComparison.Ordinal);
        Assert.Contains("result: FAILED: 3 path(s), 3 missing upstream; pushed 3 uploaded, 0 deduplicated, 0 already present, 0 failed, 0 refused, 0 rejected; read back 0 ok, 3 failed", text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split('\n').Count(l => l.Contains(" uploaded ", StringComparison.Ordinal) && l.Contains("  empty", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_real_closure_from_the_local_store_is_pushed_with_its_references()
    {
        // Needs the real Nix (scripts/test-all.sh installs it); without it there is no local store to read.
        var root = await NixEvalAsync("builtins.toFile \"ngprobe-b\" \"uses ${builtins.toFile \"ngprobe-a\" \"narguard probe dependency\\n\"}\\n\"");
        if (root is null)
        {
            return;
        }
        await using var attic = await AtticEmulatorServer.StartAsync();
        var (exit, json, stderr) = await RunJsonAsync(null, ["--upstream", attic.CacheUrl, "--closure", root]);

        Assert.True(exit == 0, stderr + json);
        var paths = json.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal(2, paths.Count);
        Assert.Equal(root, paths[1].GetProperty("storePath").GetString());
        Assert.All(paths, p => Assert.Equal("store", p.GetProperty("origin").GetString()));
        var pushed = attic.Find(paths[1].GetProperty("storeHash").GetString()!)!;
        Assert.Equal([paths[0].GetProperty("storePath").GetString()!["/nix/store/".Length..]], pushed.References);
    }

    [Fact]
    public void The_synthetic_path_is_the_one_builtins_toFile_makes()
    {
        // From the real Nix 2.8: nix-instantiate --eval -E 'builtins.toFile "narguard-publication-probe" "<SmallText>"'
        Assert.Equal("/nix/store/7jydpfm7rx4l30v8gi1zb8pxsxnrjszl-narguard-publication-probe",
            SyntheticPaths.TextStorePath(SyntheticPaths.SmallName, System.Text.Encoding.UTF8.GetBytes(SyntheticPaths.SmallText), []));
        // With a reference (the fresh root's shape): builtins.toFile "ngprobe-b" "uses ${builtins.toFile "ngprobe-a" "..."}\n"
        const string a = "/nix/store/5xwab4386ms3mkv3nshv39qgncx3dni4-ngprobe-a";
        Assert.Equal("/nix/store/rywkhir44x0gavgfacqhszy38z3m15p6-ngprobe-b",
            SyntheticPaths.TextStorePath("ngprobe-b", System.Text.Encoding.UTF8.GetBytes($"uses {a}\n"), [a]));
    }

    [Theory]
    [InlineData(new string[0], "--upstream: required")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--profile", "medium" }, "--profile: 'medium'")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--storage-bucket", "attic" }, "--storage-bucket: set, but --storage-endpoint is not")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--storage-endpoint", "http://127.0.0.1:9", "--storage-bucket", "attic" }, "required when --storage-endpoint is set")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--storage-endpoint", "http://127.0.0.1:9" }, "--storage-bucket: list at least one bucket")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--config", "/nonexistent/narguard.json" }, "--config: cannot read the Storage section of '/nonexistent/narguard.json'")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--count", "0" }, "--count: '0'")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1", "--token", "s3cr3t-token" }, "names no cache")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--closure", "relative/path" }, "--closure: 'relative/path'")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--bogus" }, "--bogus: unknown option")]
    [InlineData(new[] { "--upstream", "http://127.0.0.1:1/main", "--token", "s3cr3t-token" }, "cannot fetch http://127.0.0.1:1/main/nix-cache-info")]
    public async Task Usage_errors_exit_2_and_name_the_switch(string[] args, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ProbePublishCommand.RunAsync(args, new CheckConsole(stdout, stderr, TextReader.Null, false, 0, _ => null));

        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-token", stdout.ToString() + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_settings_come_from_the_serve_commands_config_file()
    {
        await using var s3 = await S3rverServer.StartAsync("attic");
        await using var attic = await AtticEmulatorServer.StartAsync(EmulatorPushTests.S3Emulator(s3));
        var config = Path.Combine(Path.GetTempPath(), "narguard-probe-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(config, $$"""
            {
              // the same file narguard serve reads
              "Upstream": "http://ignored.example/main",
              "Storage": { "Endpoint": "{{s3.Endpoint}}", "Buckets": ["attic"], "AccessKey": "{{S3rverServer.AccessKey}}", "SecretKey": "{{S3rverServer.SecretKey}}" }
            }
            """);
        try
        {
            var stdout = new StringWriter();
            var exit = await ProbePublishCommand.RunAsync(["--upstream", attic.CacheUrl, "--config", config, "--json"], new CheckConsole(stdout, new StringWriter(), TextReader.Null, false, 0, _ => null));
            using var document = JsonDocument.Parse(stdout.ToString());
            Assert.Equal(0, exit);
            Assert.Equal("ok", document.RootElement.GetProperty("storageBefore").GetProperty("state").GetString());
            Assert.DoesNotContain(S3rverServer.SecretKey + "\"", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Help_exits_0_through_the_cli()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await NarGuard.Hosting.Cli.RunAsync(["probe-publish", "--help"], stdout, new StringWriter()));
        Assert.Contains("usage: narguard probe-publish", stdout.ToString(), StringComparison.Ordinal);
    }

    private static CheckConsole Console(StringWriter stdout, StringWriter stderr) =>
        new(stdout, stderr, TextReader.Null, false, 0, name => name switch
        {
            "AWS_ACCESS_KEY_ID" => S3rverServer.AccessKey,
            "AWS_SECRET_ACCESS_KEY" => S3rverServer.SecretKey,
            _ => null,
        });

    private static async Task<(int Exit, JsonElement Json, string Stderr)> RunJsonAsync(S3rverServer? s3, string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] storage = s3 is null ? [] : ["--storage-endpoint", s3.Endpoint, "--storage-bucket", "attic"];
        var exit = await ProbePublishCommand.RunAsync([.. args, .. storage, "--json"], Console(stdout, stderr));
        using var document = JsonDocument.Parse(stdout.ToString());
        return (exit, document.RootElement.Clone(), stderr.ToString());
    }

    private static async Task<string?> NixEvalAsync(string expression)
    {
        try
        {
            var start = new ProcessStartInfo("nix-instantiate") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "--eval", "--read-write-mode", "-E", expression })
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? output.Trim().Trim('"') : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
