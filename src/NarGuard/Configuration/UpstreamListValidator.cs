using System.Text.RegularExpressions;

namespace NarGuard.Configuration;

/// <summary>Checks Upstreams, UpstreamName, Hedging and CacheInfo; every message names its key (Upstreams:1:Url: ...).</summary>
public static partial class UpstreamListValidator
{
    /// <summary>Names are metric label values and a NAR URL path segment: short, lower case, nothing to escape.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static void Validate(NarGuardOptions options, List<string> errors)
    {
        if (options.UpstreamName is { } firstName && !NamePattern().IsMatch(firstName))
        {
            errors.Add($"UpstreamName: '{firstName}' is not a name of 1-32 characters a-z, 0-9 and '-' (starting with a letter or digit).");
        }
        if (options.Upstreams.Count > 10)
        {
            // Polly's hedging allows at most 10 attempts after the first; more upstreams than that is a misconfiguration anyway.
            errors.Add($"Upstreams: at most 10 entries, got {options.Upstreams.Count}.");
        }
        for (var i = 0; i < options.Upstreams.Count; i++)
        {
            var entry = options.Upstreams[i];
            var key = $"Upstreams:{i}";
            if (string.IsNullOrWhiteSpace(entry.Url))
            {
                errors.Add($"{key}:Url: required (the cache URL with the cache name, e.g. https://cache.nixos.org).");
            }
            else if (!Uri.TryCreate(entry.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{key}:Url: '{entry.Url}' is not an absolute http:// or https:// URL.");
            }
            else if (!string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment) || !string.IsNullOrEmpty(url.UserInfo))
            {
                errors.Add($"{key}:Url: must not carry a query, fragment or user info (use {key}:Token for credentials).");
            }
            if (entry.Name is { } name && !NamePattern().IsMatch(name))
            {
                errors.Add($"{key}:Name: '{name}' is not a name of 1-32 characters a-z, 0-9 and '-' (starting with a letter or digit).");
            }
            if (!string.IsNullOrEmpty(entry.Token) && !string.IsNullOrEmpty(entry.TokenFile))
            {
                errors.Add($"{key}:Token / {key}:TokenFile: set one, not both.");
            }
            if (!string.IsNullOrEmpty(entry.TokenFile) && !File.Exists(entry.TokenFile))
            {
                errors.Add($"{key}:TokenFile: file '{entry.TokenFile}' does not exist.");
            }
            if (entry.Host is { } host && Uri.CheckHostName(host.Split(':')[0]) == UriHostNameType.Unknown)
            {
                errors.Add($"{key}:Host: '{host}' is not a host name.");
            }
            ValidateTimeouts(entry.Timeouts, key + ":Timeouts", errors);
            var redirectHosts = entry.Redirects.AllowedHosts ?? [];
            for (var h = 0; h < redirectHosts.Count; h++)
            {
                if (Uri.CheckHostName(redirectHosts[h]) == UriHostNameType.Unknown)
                {
                    errors.Add($"{key}:Redirects:AllowedHosts:{h}: '{redirectHosts[h]}' is not a host name.");
                }
            }
            if (entry.Circuit is { FailureRatio: not null } or { MinimumThroughput: not null } or { SamplingDuration: not null } or { BreakDuration: not null })
            {
                Resilience.ResilienceOptionsValidator.ValidateCircuit(entry.Circuit.Over(options.Resilience.Circuit), key + ":Circuit", errors);
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Upstream) || options.Upstreams.Count > 0)
        {
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var upstream in UpstreamList.Resolve(options))
            {
                var key = upstream.ConfigKey == "Upstream" ? "UpstreamName" : upstream.ConfigKey + ":Name";
                if (!seen.TryAdd(upstream.Name, key))
                {
                    errors.Add($"{key}: '{upstream.Name}' is already the name of {seen[upstream.Name]}; upstream names must be unique.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(options.Upstream) && options.Upstreams.Count > 0)
        {
            // Without Upstream these describe no upstream at all: silently dropping a token would turn a private
            // first upstream into 401s and every path into a 404, with nothing said at start.
            foreach (var (key, value, entryKey) in new[] { ("UpstreamToken", options.UpstreamToken, "Token"), ("UpstreamTokenFile", options.UpstreamTokenFile, "TokenFile"), ("UpstreamHost", options.UpstreamHost, "Host") })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    errors.Add($"{key}: applies to Upstream, which is not set; give the first entry its own (Upstreams:0:{entryKey}).");
                }
            }
        }

        if (options.Hedging.Delay < TimeSpan.Zero)
        {
            errors.Add($"Hedging:Delay: must not be negative (0 turns hedging off), got {options.Hedging.Delay}.");
        }
        var storeDir = options.CacheInfo.StoreDir;
        if (string.IsNullOrEmpty(storeDir) || !storeDir.StartsWith('/') || (storeDir.Length > 1 && storeDir.EndsWith('/')) || storeDir.Any(char.IsWhiteSpace))
        {
            errors.Add($"CacheInfo:StoreDir: '{storeDir}' is not an absolute directory like /nix/store (no trailing slash, no spaces).");
        }
        if (options.CacheInfo.Priority is < 0 or > 1000)
        {
            errors.Add($"CacheInfo:Priority: must be between 0 and 1000, got {options.CacheInfo.Priority}.");
        }
    }

    private static void ValidateTimeouts(UpstreamTimeoutOptions timeouts, string key, List<string> errors)
    {
        foreach (var (name, value) in new[] { ("Connect", timeouts.Connect), ("NarInfo", timeouts.NarInfo), ("NarHeaders", timeouts.NarHeaders), ("Stall", timeouts.Stall), ("Nar", timeouts.Nar) })
        {
            if (value is { } v && v <= TimeSpan.Zero)
            {
                errors.Add($"{key}:{name}: must be a positive duration like 00:00:30, got {v}.");
            }
        }
        if (timeouts.Stall >= TimeSpan.FromSeconds(300))
        {
            errors.Add($"{key}:Stall: {timeouts.Stall} is not below Nix's stalled-download-timeout (300 s); clients would give up first.");
        }
    }
}
