using NarGuard.Configuration;
using NarGuard.Upstream;

namespace NarGuard.Check;

/// <summary>
/// <c>narguard check</c>: audits a cache path by path with the proxy's verifier. Exit 0 when every path is intact,
/// 1 when any is broken, 2 on bad usage or when the upstream's nix-cache-info cannot be fetched at all.
/// </summary>
public static class CheckCommand
{
    public const int ExitOk = 0;
    public const int ExitBroken = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = 130;
    public const string TokenVariable = "NARGUARD_UPSTREAM_TOKEN";

    public const string Usage = """
        usage: narguard check --upstream URL [HASH|PATH...] [--store-hash HASH...] [--from-file FILE|-] [--closure PATH]
                              [--sample N [--seed S]] [--concurrency N] [--json] [--token T | --netrc-file F]

        Fetches each path's narinfo, downloads its NAR (following redirects), decompresses it and checks NarSize and
        NarHash (FileSize and FileHash too when the narinfo has them), exactly as the proxy does before it answers 200.
        Works against Attic itself or through a NarGuard proxy. Nothing is written to disk.

          --upstream URL            the cache, including its name: http://127.0.0.1:8080/main (required)
          --store-hash HASH...      store hashes or store paths to check (bare arguments work too)
          --from-file FILE          one store hash or path per line ('-' reads standard input; '#' starts a comment)
          --closure PATH            also check every path PATH references, transitively (walks narinfo References)
          --sample N                check a random sample of N of the paths given; --seed S repeats a sample
          --concurrency N           NARs checked at once (default 4, at most 64)
          --json                    one JSON document on stdout instead of the table
          --token T                 bearer token (else $NARGUARD_UPSTREAM_TOKEN, else --netrc-file)
          --netrc-file F            netrc as Nix reads it: the password of the upstream host's machine is the token
          --stall-timeout D         fail a NAR that sends no byte for D (default 30s; 45, 45s, 500ms, 00:00:45)
          --allow-redirect-host H   a host NAR redirects may go to besides the upstream's (your S3 endpoint)
          --upstream-host H         Host header sent upstream (Attic's allowed-hosts)

        Each path is reported as ok or as the reason the proxy would refuse it (empty, truncated, hash_mismatch,
        size_mismatch, decompress_error, upstream_status, upstream_error, timeout, redirect_denied, narinfo_invalid,
        unsupported_compression), with NarSize, bytes received, time, throughput and the upstream status.
        Exit status: 0 all ok, 1 any broken, 2 bad usage or upstream unreachable.
        """;

    /// <summary>Runs against the process console; Ctrl+C stops the run (exit 130).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null) =>
        CheckConsole.RunInterruptibleAsync((console, token) => RunAsync(args, console, token), stdout, stderr);

    public static async Task<int> RunAsync(string[] args, CheckConsole console, CancellationToken cancellationToken = default)
    {
        var (arguments, errors) = CheckArguments.Parse(args);
        if (arguments.Help)
        {
            await console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return ExitOk;
        }

        var token = ResolveToken(arguments, console, errors);
        var (targets, roots) = await ReadInputsAsync(arguments, console, errors, cancellationToken).ConfigureAwait(false);
        if (errors.Count == 0 && targets.Count == 0 && roots.Count == 0)
        {
            errors.Add("nothing to check: the input named no store path.");
        }
        if (errors.Count > 0)
        {
            await console.Error.WriteLineAsync("narguard check: " + string.Join("\nnarguard check: ", errors.Select(e => Redaction.Clean(e, token)))
                + "\n(narguard check --help shows the usage)").ConfigureAwait(false);
            return ExitUsage;
        }

        var options = new NarGuardOptions
        {
            Upstream = arguments.Upstream,
            UpstreamToken = token,
            UpstreamHost = arguments.UpstreamHost,
            Redirects = { AllowedHosts = arguments.AllowedRedirectHosts },
        };
        if (arguments.StallTimeout is { } stall)
        {
            options.Timeouts.Stall = stall;
        }
        var endpoint = new UpstreamEndpoint(options);
        using var http = new HttpClient(UpstreamClient.CreateHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
        var checker = new CacheChecker(new UpstreamClient(http, endpoint, options), options.Timeouts, arguments.Concurrency);
        var upstream = endpoint.CacheUri.ToString().TrimEnd('/');

        try
        {
            var info = await CacheInfoProbe.FetchAsync(http, endpoint, options.Timeouts.NarInfo, cancellationToken).ConfigureAwait(false);
            if (!info.Reachable)
            {
                var message = Redaction.Clean($"cannot fetch {upstream}/nix-cache-info: {info.Detail}", token)!;
                await console.Error.WriteLineAsync("narguard check: " + message).ConfigureAwait(false);
                if (arguments.Json)
                {
                    await console.Out.WriteLineAsync(CheckJsonReport.WriteError(upstream, message)).ConfigureAwait(false);
                }
                return ExitUsage;
            }
            return await CheckAsync(checker, arguments, console, upstream, info.StoreDir, targets, roots, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("narguard check: cancelled").ConfigureAwait(false);
            return ExitCancelled;
        }
    }

    private static async Task<int> CheckAsync(CacheChecker checker, CheckArguments arguments, CheckConsole console, string upstream, string storeDir,
        List<CheckTarget> targets, List<CheckTarget> roots, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var progress = !arguments.Json && console.IsTerminal ? new TerminalProgress(console.Out, console.Width) : null;
        ICheckObserver? observer = arguments.Json ? null : progress ?? (ICheckObserver)new PlainLineObserver(console.Out);
        IReadOnlyList<PathCheckResult> results;
        CheckJsonReport.SampleInfo? sample = null;
        try
        {
            if (roots.Count > 0)
            {
                progress?.BeginWalk();
                var closure = await checker.WalkClosureAsync(roots, storeDir, observer, cancellationToken).ConfigureAwait(false);
                targets = StoreInputs.Distinct(targets.Concat(closure));
            }
            if (arguments.Sample is { } size)
            {
                var seed = arguments.Seed ?? Random.Shared.Next();
                sample = new CheckJsonReport.SampleInfo(Math.Min(size, targets.Count), targets.Count, seed);
                targets = Sample(targets, size, seed);
            }
            if (!arguments.Json)
            {
                var what = sample is null ? Paths(targets.Count) : $"a sample of {sample.Size} of {Paths(sample.Of)} (--seed {sample.Seed})";
                var header = $"narguard check: {what} at {upstream}, {checker.Concurrency} at a time";
                if (progress is null)
                {
                    await console.Out.WriteLineAsync(header).ConfigureAwait(false);
                }
                else
                {
                    progress.WriteAbove(header);
                }
            }
            progress?.BeginCheck(targets.Count);
            results = await checker.CheckAsync(targets, observer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (progress is not null)
            {
                await progress.DisposeAsync().ConfigureAwait(false);
            }
        }

        var summary = CheckSummary.Of(results, TimeProvider.System.GetElapsedTime(started));
        if (arguments.Json)
        {
            await console.Out.WriteLineAsync(CheckJsonReport.Write(upstream, results, summary, sample, DateTimeOffset.UtcNow)).ConfigureAwait(false);
        }
        else
        {
            if (progress is not null)
            {
                await CheckTextReport.WriteTableAsync(console.Out, results).ConfigureAwait(false);
            }
            await console.Out.WriteLineAsync(CheckTextReport.SummaryLine(summary)).ConfigureAwait(false);
        }
        await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        return summary.ExitCode;
    }

    private static string Paths(int count) => count == 1 ? "1 path" : $"{count} paths";

    /// <summary>A uniform sample (partial Fisher-Yates), kept in input order so reports stay comparable.</summary>
    public static List<CheckTarget> Sample(IReadOnlyList<CheckTarget> targets, int size, int seed)
    {
        if (size >= targets.Count)
        {
            return [.. targets];
        }
        var random = new Random(seed);
        var indices = Enumerable.Range(0, targets.Count).ToArray();
        for (var i = 0; i < size; i++)
        {
            var j = random.Next(i, indices.Length);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        return [.. indices[..size].Order().Select(i => targets[i])];
    }

    // --token, else the environment, else netrc: the most explicit source wins, as with curl and Nix.
    private static string? ResolveToken(CheckArguments arguments, CheckConsole console, List<string> errors)
    {
        if (!string.IsNullOrEmpty(arguments.Token))
        {
            return arguments.Token;
        }
        if (console.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Trim();
        }
        if (arguments.NetrcFile is not { } netrcFile)
        {
            return null;
        }
        string text;
        try
        {
            text = File.ReadAllText(netrcFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"--netrc-file: cannot read '{netrcFile}' ({ex.GetType().Name}).");
            return null;
        }
        if (!Uri.TryCreate(arguments.Upstream, UriKind.Absolute, out var upstream))
        {
            return null;
        }
        var entry = Netrc.Find(Netrc.Parse(text), upstream.Host);
        if (entry?.Password is not { Length: > 0 } password)
        {
            console.Error.WriteLine($"narguard check: warning: '{netrcFile}' has no password for {upstream.Host}; sending no token.");
            return null;
        }
        return password;
    }

    private static async Task<(List<CheckTarget> Targets, List<CheckTarget> Roots)> ReadInputsAsync(CheckArguments arguments, CheckConsole console, List<string> errors, CancellationToken cancellationToken)
    {
        var targets = new List<CheckTarget>();
        foreach (var input in arguments.StoreInputs)
        {
            Add(targets, input, "--store-hash");
        }
        foreach (var file in arguments.FromFiles)
        {
            try
            {
                using var reader = file == "-" ? null : File.OpenText(file);
                var (read, readErrors) = await StoreInputs.ReadAsync(reader ?? console.In, file == "-" ? "stdin" : file, cancellationToken).ConfigureAwait(false);
                targets.AddRange(read);
                errors.AddRange(readErrors.Select(e => "--from-file " + e));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add($"--from-file: cannot read '{file}' ({ex.GetType().Name}).");
            }
        }
        var roots = new List<CheckTarget>();
        foreach (var root in arguments.ClosureRoots)
        {
            Add(roots, root, "--closure");
        }
        return (StoreInputs.Distinct(targets), roots);

        void Add(List<CheckTarget> into, string input, string source)
        {
            if (StoreInputs.TryParse(input, out var target, out var error))
            {
                into.Add(target);
            }
            else
            {
                errors.Add($"{source}: {error}");
            }
        }
    }
}
