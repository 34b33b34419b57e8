namespace NarGuard.Configuration;

/// <summary>Checks every setting at start and collects all errors, each naming its key and how to set it.</summary>
public static class NarGuardOptionsValidator
{
    public static IReadOnlyList<string> Validate(NarGuardOptions options)
    {
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.Upstream) && options.Upstreams.Count == 0)
        {
            errors.Add("Upstream: required. Set --upstream URL (e.g. http://127.0.0.1:8080/main), NARGUARD_Upstream, or \"Upstream\" in the config file.");
        }
        else if (string.IsNullOrWhiteSpace(options.Upstream))
        {
            // Upstreams:0 is the first upstream; UpstreamListValidator checks it.
        }
        else if (!Uri.TryCreate(options.Upstream, UriKind.Absolute, out var upstream) || (upstream.Scheme != Uri.UriSchemeHttp && upstream.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"Upstream: '{options.Upstream}' is not an absolute http:// or https:// URL.");
        }
        else if (!string.IsNullOrEmpty(upstream.Query) || !string.IsNullOrEmpty(upstream.Fragment) || !string.IsNullOrEmpty(upstream.UserInfo))
        {
            errors.Add("Upstream: must not carry a query, fragment or user info (use UpstreamToken for credentials).");
        }

        if (!Uri.TryCreate(options.Listen, UriKind.Absolute, out var listen) || (listen.Scheme != Uri.UriSchemeHttp && listen.Scheme != Uri.UriSchemeHttps) || listen.AbsolutePath != "/")
        {
            errors.Add($"Listen: '{options.Listen}' is not a URL like http://127.0.0.1:5080 (scheme, host and port only).");
        }

        for (var i = 0; i < options.AllowedHosts.Count; i++)
        {
            if (Uri.CheckHostName(options.AllowedHosts[i].Trim('[', ']')) == UriHostNameType.Unknown)
            {
                errors.Add($"AllowedHosts:{i}: '{options.AllowedHosts[i]}' is not a host name (no port, no scheme; IPv6 in brackets).");
            }
        }

        if (!string.IsNullOrEmpty(options.UpstreamToken) && !string.IsNullOrEmpty(options.UpstreamTokenFile))
        {
            errors.Add("UpstreamToken / UpstreamTokenFile: set one, not both.");
        }
        if (!string.IsNullOrEmpty(options.UpstreamTokenFile) && !File.Exists(options.UpstreamTokenFile))
        {
            errors.Add($"UpstreamTokenFile: file '{options.UpstreamTokenFile}' does not exist.");
        }
        if (options.UpstreamHost is { } host && Uri.CheckHostName(host.Split(':')[0]) == UriHostNameType.Unknown)
        {
            errors.Add($"UpstreamHost: '{host}' is not a host name.");
        }

        if (options.Spool.MaxBytes <= 0)
        {
            errors.Add($"Spool:MaxBytes: must be positive, got {options.Spool.MaxBytes}.");
        }
        if (options.Spool.ScrubInterval < TimeSpan.Zero)
        {
            errors.Add($"Spool:ScrubInterval: must not be negative (0 disables the scrub), got {options.Spool.ScrubInterval}.");
        }
        if (options.Spool.Path is { Length: 0 })
        {
            errors.Add("Spool:Path: must not be empty.");
        }

        Positive(errors, "Timeouts:Connect", options.Timeouts.Connect);
        Positive(errors, "Timeouts:NarInfo", options.Timeouts.NarInfo);
        Positive(errors, "Timeouts:NarHeaders", options.Timeouts.NarHeaders);
        Positive(errors, "Timeouts:Stall", options.Timeouts.Stall);
        Positive(errors, "Timeouts:Nar", options.Timeouts.Nar);
        if (options.Timeouts.Stall >= TimeSpan.FromSeconds(300))
        {
            errors.Add($"Timeouts:Stall: {options.Timeouts.Stall} is not below Nix's stalled-download-timeout (300 s); clients would give up first.");
        }

        if (options.Quarantine.Ttl < TimeSpan.Zero)
        {
            errors.Add($"Quarantine:Ttl: must not be negative, got {options.Quarantine.Ttl}.");
        }
        if (options.Redirects.MaxHops is < 0 or > 10)
        {
            errors.Add($"Redirects:MaxHops: must be between 0 and 10, got {options.Redirects.MaxHops}.");
        }
        for (var i = 0; i < options.Redirects.AllowedHosts.Count; i++)
        {
            if (Uri.CheckHostName(options.Redirects.AllowedHosts[i]) == UriHostNameType.Unknown)
            {
                errors.Add($"Redirects:AllowedHosts:{i}: '{options.Redirects.AllowedHosts[i]}' is not a host name.");
            }
        }
        if (options.NarInfoCache.Ttl < TimeSpan.Zero)
        {
            errors.Add($"NarInfoCache:Ttl: must not be negative, got {options.NarInfoCache.Ttl}.");
        }
        if (options.NarInfoCache.MaxEntries <= 0)
        {
            errors.Add($"NarInfoCache:MaxEntries: must be positive, got {options.NarInfoCache.MaxEntries}.");
        }
        errors.AddRange(Canary.CanaryServiceCollectionExtensions.Validate(options.Canary));
        if (options.Streaming.MinNarSize < 0)
        {
            errors.Add($"Streaming:MinNarSize: must not be negative, got {options.Streaming.MinNarSize}.");
        }
        if (options.Streaming.HoldBackBytes is < 1 or > 16 * 1024 * 1024)
        {
            errors.Add($"Streaming:HoldBackBytes: must be between 1 and 16777216, got {options.Streaming.HoldBackBytes}.");
        }
        if (options.Server.ResponseBufferBytes is < 4096 or > 64L * 1024 * 1024)
        {
            errors.Add($"Server:ResponseBufferBytes: must be between 4096 and 67108864, got {options.Server.ResponseBufferBytes}.");
        }
        if (string.IsNullOrWhiteSpace(options.Telemetry.ServiceName))
        {
            errors.Add("Telemetry:ServiceName: must not be empty.");
        }
        Resilience.ResilienceOptionsValidator.Validate(options, errors);
        UpstreamListValidator.Validate(options, errors);
        Health.HealthOptionsValidator.Validate(options, errors);
        Storage.StorageOptionsValidator.Validate(options, errors, Environment.GetEnvironmentVariable);
        Publication.PublicationOptionsValidator.Validate(options, errors);
        return errors;
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key}: must be a positive duration like 00:00:30, got {value}.");
        }
    }
}
