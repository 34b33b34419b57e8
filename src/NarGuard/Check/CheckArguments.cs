using System.Globalization;

namespace NarGuard.Check;

/// <summary>
/// The parsed command line of <c>narguard check</c>. A small hand parser in the spirit of Cli.cs: every error is
/// collected and reported at once, each naming its switch, before any I/O happens.
/// </summary>
public sealed class CheckArguments
{
    public const int MaxConcurrency = 64;

    public string? Upstream { get; private set; }
    /// <summary>Store hashes or paths from --store-hash and bare arguments, as written.</summary>
    public List<string> StoreInputs { get; } = [];
    public List<string> FromFiles { get; } = [];
    public List<string> ClosureRoots { get; } = [];
    public int? Sample { get; private set; }
    public int? Seed { get; private set; }
    public int Concurrency { get; private set; } = CacheChecker.DefaultConcurrency;
    public bool Json { get; private set; }
    public string? Token { get; private set; }
    public string? NetrcFile { get; private set; }
    public TimeSpan? StallTimeout { get; private set; }
    public string? UpstreamHost { get; private set; }
    public List<string> AllowedRedirectHosts { get; } = [];
    public bool Help { get; private set; }

    public static (CheckArguments Arguments, List<string> Errors) Parse(IReadOnlyList<string> args)
    {
        var parsed = new CheckArguments();
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is var eq and > 2)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            switch (arg)
            {
                case "-h" or "--help":
                    parsed.Help = true;
                    break;
                case "--json":
                    parsed.Json = true;
                    break;
                case "--store-hash":
                    // Takes every following word up to the next switch, as in `--store-hash A B C`.
                    var taken = 0;
                    if (inline is not null)
                    {
                        parsed.StoreInputs.Add(inline);
                        taken++;
                    }
                    while (i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                    {
                        parsed.StoreInputs.Add(args[++i]);
                        taken++;
                    }
                    if (taken == 0)
                    {
                        errors.Add("--store-hash: needs at least one store hash or store path.");
                    }
                    break;
                case "--upstream":
                    parsed.Upstream = Value();
                    break;
                case "--from-file":
                    if (Value() is { } file)
                    {
                        parsed.FromFiles.Add(file);
                    }
                    break;
                case "--closure":
                    if (Value() is { } root)
                    {
                        parsed.ClosureRoots.Add(root);
                    }
                    break;
                case "--sample":
                    parsed.Sample = Int(1, int.MaxValue);
                    break;
                case "--seed":
                    parsed.Seed = Int(int.MinValue, int.MaxValue);
                    break;
                case "--concurrency":
                    parsed.Concurrency = Int(1, MaxConcurrency) ?? parsed.Concurrency;
                    break;
                case "--token":
                    parsed.Token = Value();
                    break;
                case "--netrc-file":
                    parsed.NetrcFile = Value();
                    break;
                case "--stall-timeout":
                    if (Value() is { } stall)
                    {
                        if (TryParseDuration(stall, out var duration) && duration > TimeSpan.Zero)
                        {
                            parsed.StallTimeout = duration;
                        }
                        else
                        {
                            errors.Add($"--stall-timeout: '{stall}' is not a positive duration (30, 30s, 500ms, 2m or 00:00:30).");
                        }
                    }
                    break;
                case "--upstream-host":
                    parsed.UpstreamHost = Value();
                    break;
                case "--allow-redirect-host":
                    if (Value() is { } host)
                    {
                        parsed.AllowedRedirectHosts.Add(host);
                    }
                    break;
                default:
                    if (arg.StartsWith('-') && arg != "-")
                    {
                        errors.Add($"{arg}: unknown option.");
                    }
                    else
                    {
                        parsed.StoreInputs.Add(args[i]);
                    }
                    break;
            }

            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }
                if (i + 1 < args.Count && (!args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                {
                    return args[++i];
                }
                errors.Add($"{arg}: needs a value.");
                return null;
            }

            int? Int(int min, int max)
            {
                if (Value() is not { } text)
                {
                    return null;
                }
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
                {
                    return value;
                }
                errors.Add(max == int.MaxValue ? $"{arg}: '{text}' is not a whole number of at least {min}." : $"{arg}: '{text}' is not a whole number from {min} to {max}.");
                return null;
            }
        }

        if (parsed.Help)
        {
            return (parsed, []);
        }
        Validate(parsed, errors);
        return (parsed, errors);
    }

    /// <summary>Seconds ("30", "1.5"), with a unit ("30s", "500ms", "2m"), or a TimeSpan ("00:00:30").</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ => (text, 1.0),
        };
        if (!text.Contains(':', StringComparison.Ordinal)
            && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            duration = TimeSpan.FromSeconds(value * scale);
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }

    private static void Validate(CheckArguments parsed, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(parsed.Upstream))
        {
            if (!errors.Any(e => e.StartsWith("--upstream:", StringComparison.Ordinal)))
            {
                errors.Add("--upstream: required, the cache URL with its name (http://127.0.0.1:8080/main), or the proxy's.");
            }
        }
        else if (!Uri.TryCreate(parsed.Upstream, UriKind.Absolute, out var upstream) || upstream.Scheme is not ("http" or "https"))
        {
            errors.Add($"--upstream: '{parsed.Upstream}' is not an absolute http:// or https:// URL.");
        }
        else if (upstream.Query.Length > 0 || upstream.Fragment.Length > 0 || upstream.UserInfo.Length > 0)
        {
            // User info would be a credential on the command line and in every message that names the upstream.
            errors.Add("--upstream: must not carry a query, fragment or user info (use --token, NARGUARD_UPSTREAM_TOKEN or --netrc-file).");
        }

        if (parsed.StoreInputs.Count == 0 && parsed.FromFiles.Count == 0 && parsed.ClosureRoots.Count == 0
            && !errors.Any(e => e.StartsWith("--store-hash:", StringComparison.Ordinal)))
        {
            errors.Add("nothing to check: give store hashes or paths (--store-hash), --from-file FILE, or --closure PATH.");
        }
        if (parsed.FromFiles.Count(f => f == "-") > 1)
        {
            errors.Add("--from-file: standard input ('-') can be read only once.");
        }
        if (parsed.Seed is not null && parsed.Sample is null)
        {
            errors.Add("--seed: only meaningful with --sample.");
        }
        if (parsed.UpstreamHost is { } host && Uri.CheckHostName(host.Split(':')[0]) == UriHostNameType.Unknown)
        {
            errors.Add($"--upstream-host: '{host}' is not a host name.");
        }
        foreach (var redirectHost in parsed.AllowedRedirectHosts)
        {
            if (Uri.CheckHostName(redirectHost) == UriHostNameType.Unknown)
            {
                errors.Add($"--allow-redirect-host: '{redirectHost}' is not a host name.");
            }
        }
    }
}
