using NarGuard.Check;
using NarGuard.Configuration;
using NarGuard.Storage;
using NarGuard.Upstream;

namespace NarGuard.Publication.Probe;

/// <summary>
/// <c>narguard probe-publish</c>: the operators' publication probe. Pushes synthetic paths (or a real closure) through
/// Attic's API, with the storage bucket-index evidence before and after, and reads every pushed path back through
/// the proxy's verifier. Exit 0 when everything was published and verified, 1 when anything failed, 2 on bad usage
/// or when the cache cannot be reached at all.
/// </summary>
public static class ProbePublishCommand
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    public const string Usage = """
        usage: narguard probe-publish --upstream URL [--profile small|closure] [--count N] [--closure PATH] [--json]
                                      [--storage-endpoint URL --storage-bucket B...] [--token T | --netrc-file F]

        Publishes through Attic's API the way `attic push` does (get-missing-paths, then upload-path for each missing
        path), with the storage bucket-index probe before and after, then reads every path back: narinfo and NAR are
        fetched and verified (NarSize, NarHash) exactly as the proxy does before it answers 200.

          --upstream URL            the cache, including its name: http://127.0.0.1:8080/main, or a NarGuard in front of it
          --profile small           one new synthetic path with fixed content (like a builtins.toFile probe): after the
                                    first run Attic deduplicates its NAR and storage is never written (default)
          --profile closure         the small path plus --count fresh paths (new every run, default 5) and a root that
                                    references them: fresh paths must be written to storage, as a real closure's are
          --closure PATH            push PATH's closure from the local Nix store instead (nix-store --dump)
          --json                    one JSON document on stdout instead of the table
          --storage-endpoint URL    the S3 endpoint behind Attic; with --storage-bucket B (repeatable), the bucket-index
                                    probe of `narguard serve` runs before and after the push (AWS_ACCESS_KEY_ID and
                                    AWS_SECRET_ACCESS_KEY; --storage-region R, --storage-scratch for the scratch round trip)
          --config FILE             take the storage settings from the Storage section of a narguard settings file
                                    (the serve command's; the switches above override it)
          --cache NAME              the Attic cache name (default: the last segment of --upstream)
          --token T                 bearer token with push permission (else $NARGUARD_UPSTREAM_TOKEN, else --netrc-file)
          --netrc-file F            netrc as Nix reads it: the password of the upstream host's machine is the token
          --allow-redirect-host H   a host NAR redirects may go to besides the upstream's (your S3 endpoint)

        Exit status: 0 every path published and read back intact, 1 anything failed, 2 bad usage or cache unreachable.
        """;

    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null) =>
        CheckConsole.RunInterruptibleAsync((console, token) => RunAsync(args, console, token), stdout, stderr);

    /// <param name="afterPush">Runs between the pushes and the evidence after them (tests break the storage there).</param>
    public static async Task<int> RunAsync(string[] args, CheckConsole console, CancellationToken cancellationToken = default, Func<CancellationToken, Task>? afterPush = null)
    {
        var (arguments, errors) = ProbePublishArguments.Parse(args);
        if (arguments.Help)
        {
            await console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return ExitOk;
        }
        var token = errors.Count == 0 ? ResolveToken(arguments, console, errors) : null;
        var options = new NarGuardOptions
        {
            Upstream = arguments.Upstream,
            UpstreamToken = token,
            Redirects = { AllowedHosts = arguments.AllowedRedirectHosts },
            Storage = StorageSettings.Resolve(arguments, errors),
        };
        if (errors.Count == 0)
        {
            StorageOptionsValidator.Validate(options, errors, console.GetEnvironmentVariable);
        }
        if (errors.Count > 0)
        {
            await console.Error.WriteLineAsync("narguard probe-publish: " + string.Join("\nnarguard probe-publish: ",
                errors.Select(e => Redaction.Clean(StorageSettings.NameSwitches(e, arguments), token)))
                + "\n(narguard probe-publish --help shows the usage)").ConfigureAwait(false);
            return ExitUsage;
        }

        var endpoint = new UpstreamEndpoint(options);
        var upstream = endpoint.CacheUri.ToString().TrimEnd('/');
        using var http = new HttpClient(UpstreamClient.CreateHandler(options)) { Timeout = TimeSpan.FromMinutes(30) };
        var info = await CacheInfoProbe.FetchAsync(http, endpoint, options.Timeouts.NarInfo, cancellationToken).ConfigureAwait(false);
        if (!info.Reachable)
        {
            await console.Error.WriteLineAsync("narguard probe-publish: " + Redaction.Clean($"cannot fetch {upstream}/nix-cache-info: {info.Detail}", token)).ConfigureAwait(false);
            return ExitUsage;
        }

        IReadOnlyList<PublishPath> paths;
        if (arguments.ClosureRoot is { } root)
        {
            var loaded = await LocalStore.ClosureAsync(root, cancellationToken).ConfigureAwait(false);
            if (loaded.Paths is null)
            {
                await console.Error.WriteLineAsync("narguard probe-publish: --closure: " + loaded.Error).ConfigureAwait(false);
                return ExitUsage;
            }
            paths = loaded.Paths;
        }
        else
        {
            var runId = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
            paths = arguments.Profile == ProbePublishArguments.SmallProfile ? [SyntheticPaths.Small(runId)] : SyntheticPaths.Closure(arguments.Fresh, runId);
        }

        var report = await PublishAsync(arguments, options, endpoint, http, paths, console, afterPush, cancellationToken).ConfigureAwait(false);
        // The table ends with its own newline; the JSON document gets one.
        var output = arguments.Json ? report.ToJson() + "\n" : report.ToText();
        await console.Out.WriteAsync(Redaction.Clean(output, token)).ConfigureAwait(false);
        await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        return report.Ok ? ExitOk : ExitFailed;
    }

    private static async Task<ProbePublishReport> PublishAsync(ProbePublishArguments arguments, NarGuardOptions options, UpstreamEndpoint endpoint, HttpClient http,
        IReadOnlyList<PublishPath> paths, CheckConsole console, Func<CancellationToken, Task>? afterPush, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        using var probe = options.Storage.Endpoint is null ? null
            : new StorageProbe(StorageClientFactory.Create(options, StorageCredentials.Resolve(options.Storage, console.GetEnvironmentVariable)!), options.Storage, TimeProvider.System);
        var before = probe is null ? null : StorageSnapshot.From(await probe.RunAsync(0, cancellationToken).ConfigureAwait(false));

        // The API sits at the server's root, beside the caches: http://host:8080/_api/v1/ for http://host:8080/main.
        var api = new AtticApiClient(http, new Uri(new Uri(endpoint.Origin), "/_api/v1/"), arguments.CacheName, endpoint.DefaultAuthorization);
        var (missing, missingError) = await api.GetMissingAsync(paths.Select(p => p.StoreHash), cancellationToken).ConfigureAwait(false);
        var outcomes = new List<PushOutcome>();
        foreach (var path in paths)
        {
            // A failed get-missing-paths is no reason to stop: every path is then pushed, and each push says how it went.
            outcomes.Add(missing is not null && !missing.Contains(path.StoreHash)
                ? PushOutcome.AlreadyPresent
                : await api.UploadAsync(path, cancellationToken).ConfigureAwait(false));
        }
        if (missingError is not null && !arguments.Json)
        {
            await console.Error.WriteLineAsync("narguard probe-publish: " + Redaction.Clean(missingError, options.UpstreamToken)).ConfigureAwait(false);
        }
        if (afterPush is not null)
        {
            await afterPush(cancellationToken).ConfigureAwait(false);
        }
        var after = probe is null ? null : StorageSnapshot.From(await probe.RunAsync(before is { State: StorageSnapshot.Failed } ? 1 : 0, cancellationToken).ConfigureAwait(false));

        // Read back every path the cache should now have, through the proxy's own verifier.
        var toRead = paths.Where((_, i) => outcomes[i].IsOk).Select(p => new CheckTarget(p.StoreHash, p.StorePath)).ToList();
        var checker = new CacheChecker(new UpstreamClient(http, endpoint, options), options.Timeouts, CacheChecker.DefaultConcurrency);
        var checks = (await checker.CheckAsync(toRead, null, cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.StoreHash, StringComparer.Ordinal);
        var rows = paths.Select((p, i) => new ProbePublishRow(p, outcomes[i], checks.GetValueOrDefault(p.StoreHash))).ToList();
        return new ProbePublishReport(endpoint.CacheUri.ToString().TrimEnd('/'), arguments.CacheName, arguments.ClosureRoot is null ? arguments.Profile : "closure (" + arguments.ClosureRoot + ")",
            before, after, missing?.Count ?? paths.Count, rows, TimeProvider.System.GetElapsedTime(started));
    }

    // --token, else the environment, else netrc: the most explicit source wins, as with `narguard check`.
    private static string? ResolveToken(ProbePublishArguments arguments, CheckConsole console, List<string> errors)
    {
        if (!string.IsNullOrEmpty(arguments.Token))
        {
            return arguments.Token;
        }
        if (console.GetEnvironmentVariable(CheckCommand.TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Trim();
        }
        if (arguments.NetrcFile is not { } netrcFile)
        {
            return null;
        }
        try
        {
            var host = new Uri(arguments.Upstream!).Host;
            return Netrc.Find(Netrc.Parse(File.ReadAllText(netrcFile)), host)?.Password is { Length: > 0 } password ? password : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"--netrc-file: cannot read '{netrcFile}' ({ex.GetType().Name}).");
            return null;
        }
    }
}
