using NarGuard.Resilience;

namespace NarGuard.Configuration;

/// <summary>One upstream as the host uses it: its name, its position, and the options its parts are built from.</summary>
/// <param name="Options">A copy of the root options whose Upstream, UpstreamToken(File), UpstreamHost, Timeouts,
/// Redirects and Resilience:Circuit are this upstream's; every other section is shared.</param>
public sealed record ResolvedUpstream(int Index, string Name, string ConfigKey, NarGuardOptions Options);

/// <summary>
/// Turns Upstream (+ its top-level settings) and Upstreams into the ordered list of upstreams. The rule: Upstream,
/// when set, is the first upstream (with UpstreamToken, UpstreamTokenFile, UpstreamHost, Timeouts, Redirects and
/// Resilience:Circuit as today); the Upstreams entries follow in order. So every single-upstream setup keeps
/// working unchanged, and a list without Upstream starts with its own first entry.
/// </summary>
public static class UpstreamList
{
    public static IReadOnlyList<ResolvedUpstream> Resolve(NarGuardOptions options)
    {
        var list = new List<ResolvedUpstream>();
        if (!string.IsNullOrWhiteSpace(options.Upstream))
        {
            var first = options.ShallowCopy();
            first.UpstreamName = options.UpstreamName ?? UpstreamOptions.FirstDefaultName;
            list.Add(new ResolvedUpstream(0, first.UpstreamName, "Upstream", first));
        }
        for (var i = 0; i < options.Upstreams.Count; i++)
        {
            var entry = options.Upstreams[i];
            var copy = options.ShallowCopy();
            copy.Upstream = entry.Url;
            copy.UpstreamToken = entry.Token;
            copy.UpstreamTokenFile = entry.TokenFile;
            copy.UpstreamHost = entry.Host;
            copy.UpstreamName = entry.Name ?? (list.Count == 0 ? options.UpstreamName : null) ?? "u" + (list.Count + 1);
            copy.Timeouts = entry.Timeouts.Over(options.Timeouts);
            copy.Redirects = new RedirectOptions { AllowedHosts = entry.Redirects.AllowedHosts ?? options.Redirects.AllowedHosts, MaxHops = options.Redirects.MaxHops };
            copy.Resilience = new ResilienceOptions
            {
                NarInfoRetries = options.Resilience.NarInfoRetries,
                NarInfoRetryDelay = options.Resilience.NarInfoRetryDelay,
                NarInfoAttemptTimeout = options.Resilience.NarInfoAttemptTimeout,
                Circuit = entry.Circuit.Over(options.Resilience.Circuit),
            };
            copy.Upstreams = [];
            list.Add(new ResolvedUpstream(list.Count, copy.UpstreamName, $"Upstreams:{i}", copy));
        }
        return list;
    }
}
