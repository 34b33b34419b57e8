using System.Globalization;

namespace NarGuard.Publication.Probe;

/// <summary>The parsed command line of <c>narguard probe-publish</c>; every error is collected, each naming its switch, before any I/O.</summary>
public sealed class ProbePublishArguments
{
    public const string SmallProfile = "small";
    public const string ClosureProfile = "closure";
    public const int DefaultFresh = 5;

    public string? Upstream { get; private set; }
    public string? Cache { get; private set; }
    public string Profile { get; private set; } = SmallProfile;
    public string? ClosureRoot { get; private set; }
    public int Fresh { get; private set; } = DefaultFresh;
    public bool Json { get; private set; }
    public string? Token { get; private set; }
    public string? NetrcFile { get; private set; }
    /// <summary>A narguard settings file (the serve command's JSON) whose Storage section configures the storage evidence.</summary>
    public string? ConfigFile { get; private set; }
    public string? StorageEndpoint { get; private set; }
    public List<string> StorageBuckets { get; } = [];
    public string? StorageRegion { get; private set; }
    public bool StorageScratch { get; private set; }
    public List<string> AllowedRedirectHosts { get; } = [];
    public bool Help { get; private set; }

    public static (ProbePublishArguments Arguments, List<string> Errors) Parse(IReadOnlyList<string> args)
    {
        var parsed = new ProbePublishArguments();
        var errors = new List<string>();
        var profileGiven = false;
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
                case "-h" or "--help": parsed.Help = true; break;
                case "--json": parsed.Json = true; break;
                case "--upstream": parsed.Upstream = Value(); break;
                case "--cache": parsed.Cache = Value(); break;
                case "--profile":
                    profileGiven = true;
                    if (Value() is { } profile)
                    {
                        if (profile is SmallProfile or ClosureProfile)
                        {
                            parsed.Profile = profile;
                        }
                        else
                        {
                            errors.Add($"--profile: '{profile}' is neither 'small' (one fixed synthetic path) nor 'closure' (fresh paths, or --closure PATH).");
                        }
                    }
                    break;
                case "--closure":
                    parsed.ClosureRoot = Value();
                    parsed.Profile = ClosureProfile;
                    break;
                case "--count":
                    if (Value() is { } count)
                    {
                        if (int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000)
                        {
                            parsed.Fresh = n;
                        }
                        else
                        {
                            errors.Add($"--count: '{count}' is not a whole number from 1 to 1000.");
                        }
                    }
                    break;
                case "--token": parsed.Token = Value(); break;
                case "--netrc-file": parsed.NetrcFile = Value(); break;
                case "--storage-endpoint": parsed.StorageEndpoint = Value(); break;
                case "--storage-bucket":
                    if (Value() is { } bucket)
                    {
                        parsed.StorageBuckets.Add(bucket);
                    }
                    break;
                case "--storage-region": parsed.StorageRegion = Value(); break;
                case "--config": parsed.ConfigFile = Value(); break;
                case "--storage-scratch": parsed.StorageScratch = true; break;
                case "--allow-redirect-host":
                    if (Value() is { } host)
                    {
                        parsed.AllowedRedirectHosts.Add(host);
                    }
                    break;
                default:
                    errors.Add(arg.StartsWith('-') ? $"{arg}: unknown option." : $"'{arg}': unexpected argument (the path of a real closure goes after --closure).");
                    break;
            }

            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }
                if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return args[++i];
                }
                errors.Add($"{arg}: needs a value.");
                return null;
            }
        }
        if (parsed.Help)
        {
            return (parsed, []);
        }

        if (string.IsNullOrWhiteSpace(parsed.Upstream))
        {
            errors.Add("--upstream: required, the cache URL with its name (http://127.0.0.1:8080/main), or the proxy's.");
        }
        else if (!Uri.TryCreate(parsed.Upstream, UriKind.Absolute, out var upstream) || upstream.Scheme is not ("http" or "https"))
        {
            errors.Add($"--upstream: '{parsed.Upstream}' is not an absolute http:// or https:// URL.");
        }
        else if (upstream.Query.Length > 0 || upstream.Fragment.Length > 0 || upstream.UserInfo.Length > 0)
        {
            errors.Add("--upstream: must not carry a query, fragment or user info (use --token, NARGUARD_UPSTREAM_TOKEN or --netrc-file).");
        }
        else if (parsed.Cache is null && upstream.AbsolutePath.Trim('/') is { Length: 0 })
        {
            errors.Add("--upstream: names no cache (http://host:8080/main); give the cache name with --cache.");
        }
        if (profileGiven && parsed.ClosureRoot is not null && parsed.Profile != ClosureProfile)
        {
            errors.Add("--closure: pushes a real closure, which is the closure profile; drop --profile small.");
        }
        if (parsed.ClosureRoot is { } root && !root.StartsWith('/'))
        {
            errors.Add($"--closure: '{root}' is not an absolute store path (/nix/store/<hash>-<name>).");
        }
        // The storage settings as a whole (switches over --config) are checked by the serve command's own validator.
        return (parsed, errors);
    }

    /// <summary>The Attic cache name: --cache, else the upstream URL's last path segment.</summary>
    public string CacheName => Cache ?? new Uri(Upstream!).AbsolutePath.Trim('/').Split('/')[^1];
}
