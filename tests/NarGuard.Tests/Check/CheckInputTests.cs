using AtticEmulator;
using NarGuard.Check;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Check;

/// <summary>Where the paths to check come from: arguments, --from-file (a file or stdin), --closure, --sample.</summary>
public sealed class CheckInputTests
{
    [Theory]
    [InlineData("{hash}", false)]
    [InlineData("{path}", true)]
    [InlineData("{path}/bin/hello", true)]
    [InlineData("{base}", false)]
    [InlineData("  {hash}  ", false)]
    public void Store_inputs_accept_hashes_base_names_paths_and_files_inside_paths(string template, bool knowsPath)
    {
        var path = StorePaths.Make("hello-2.12");
        var hash = StorePaths.HashOf(path);
        var input = template.Replace("{hash}", hash).Replace("{path}", path).Replace("{base}", path["/nix/store/".Length..]);

        Assert.True(StoreInputs.TryParse(input, out var target, out var error), error);
        Assert.Equal(hash, target.StoreHash);
        Assert.Equal(knowsPath ? path : null, target.StorePath);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("0c1zqxrwqs2g9sg7pljcysaahrzr7v4")]
    [InlineData("0c1zqxrwqs2g9sg7pljcysaahrzr7v4e")] // 'e' is not in the nix32 alphabet
    [InlineData("/nix/store/0c1zqxrwqs2g9sg7pljcysaahrzr7v4q")]
    [InlineData("/nix/store/0c1zqxrwqs2g9sg7pljcysaahrzr7v4q-")]
    public void Store_inputs_refuse_what_names_no_store_path(string input)
    {
        Assert.False(StoreInputs.TryParse(input, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public async Task From_file_reads_one_per_line_skipping_comments_and_blank_lines()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var a = attic.Add(StorePaths.Make("a"), Nar.OfText("a", 40_000));
        var b = attic.Add(StorePaths.Make("b"), Nar.OfText("b", 40_000));
        var c = attic.Add(StorePaths.Make("c"), Nar.OfText("c", 40_000));
        attic.SetFault(c.StoreHash, Fault.Empty);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, $"# paths to audit\n{a.StorePath}\n\n  {b.StoreHash}\r\n{c.StorePath}/bin/c\n{a.StoreHash}\n");

            var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--from-file", file, "--json"]);

            Assert.Equal(1, run.ExitCode);
            var paths = run.JsonPaths();
            Assert.Equal(3, paths.Count); // a appears twice and is checked once
            Assert.Equal("ok", paths[a.StorePath].GetProperty("status").GetString());
            Assert.Equal("ok", paths[b.StorePath].GetProperty("status").GetString());
            Assert.Equal("empty", paths[c.StorePath].GetProperty("status").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task From_file_dash_reads_standard_input_and_combines_with_arguments()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var a = attic.Add(StorePaths.Make("a"), Nar.OfText("a", 40_000));
        var b = attic.Add(StorePaths.Make("b"), Nar.OfText("b", 40_000));

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--from-file", "-", b.StoreHash], stdin: a.StorePath + "\n");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("ok ", run.LineOf(a.StorePath));
        Assert.StartsWith("ok ", run.LineOf(b.StorePath));
    }

    [Fact]
    public async Task A_bad_line_in_the_file_is_bad_usage_naming_the_line_and_nothing_is_fetched()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var a = attic.Add(StorePaths.Make("a"), Nar.OfText("a", 40_000));

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--from-file", "-"], stdin: $"{a.StorePath}\n\nnot a path\n");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--from-file stdin:3: 'not a path' is neither", run.Error);
        Assert.Equal(0, attic.NarInfoRequests(a.StoreHash));
    }

    [Fact]
    public async Task An_empty_input_file_is_bad_usage()
    {
        var run = await CheckHarness.RunAsync(["--upstream", "http://127.0.0.1:1/main", "--from-file", "-"], stdin: "# nothing\n\n");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("nothing to check", run.Error);
    }

    [Fact]
    public async Task Sample_checks_n_paths_of_the_closure_and_the_seed_repeats_the_sample()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var closure = CheckHarness.AddClosure(attic, broken: false);
        string[] args = ["--upstream", attic.CacheUrl, "--closure", closure.Root.StorePath, "--sample", "2", "--seed", "42", "--json"];

        var first = await CheckHarness.RunAsync(args);
        // Only the sampled NARs were downloaded.
        Assert.Equal(2, closure.All.Sum(o => attic.NarRequests(o.StoreHash)));
        var second = await CheckHarness.RunAsync(args);

        Assert.Equal(0, first.ExitCode);
        var picked = first.JsonPaths().Keys.ToList();
        Assert.Equal(2, picked.Count);
        Assert.All(picked, p => Assert.Contains(p, closure.All.Select(o => o.StorePath)));
        Assert.Equal(picked, second.JsonPaths().Keys.ToList());
        var sample = first.Json().RootElement.GetProperty("sample");
        Assert.Equal(2, sample.GetProperty("size").GetInt32());
        Assert.Equal(6, sample.GetProperty("of").GetInt32());
        Assert.Equal(42, sample.GetProperty("seed").GetInt32());
    }

    [Fact]
    public async Task Sample_without_a_seed_prints_the_seed_that_repeats_it()
    {
        await using var attic = await AtticEmulatorServer.StartAsync();
        var closure = CheckHarness.AddClosure(attic, broken: false);

        var run = await CheckHarness.RunAsync(["--upstream", attic.CacheUrl, "--closure", closure.Root.StorePath, "--sample", "3"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"a sample of 3 of 6 paths \(--seed -?\d+\)", run.Out);
        Assert.Contains("3 paths: 3 ok, 0 broken", run.Out);
    }

    [Fact]
    public void Sample_is_uniform_distinct_and_keeps_input_order()
    {
        var targets = Enumerable.Range(0, 10).Select(i => new CheckTarget(StorePaths.HashOf(StorePaths.Make("p" + i)))).ToList();
        var counts = new int[targets.Count];
        for (var seed = 0; seed < 2000; seed++)
        {
            var sample = CheckCommand.Sample(targets, 3, seed);
            Assert.Equal(3, sample.Distinct().Count());
            var indices = sample.Select(t => targets.IndexOf(t)).ToList();
            Assert.Equal(indices.Order(), indices);
            indices.ForEach(i => counts[i]++);
        }
        // 600 expected per path; a biased shuffle would starve the tail.
        Assert.All(counts, c => Assert.InRange(c, 450, 750));
        Assert.Equal(targets, CheckCommand.Sample(targets, 50, 1));
    }
}
