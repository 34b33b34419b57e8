using NarGuard.Configuration;
using NarGuard.Resilience;

namespace NarGuard.Upstream;

/// <summary>One configured upstream with its own parts: endpoint (URL, token, Host, redirect allow-list), client (timeouts), circuit and retries.</summary>
public sealed class UpstreamMember(int index, UpstreamEndpoint endpoint, UpstreamClient client, UpstreamCircuit circuit, ResilientUpstream resilient, NarGuardOptions options)
{
    /// <summary>Position in the configured order; 0 is the first upstream.</summary>
    public int Index { get; } = index;
    public string Name => Endpoint.Name;
    public bool IsFirst => Index == 0;
    public UpstreamEndpoint Endpoint { get; } = endpoint;
    public UpstreamClient Client { get; } = client;
    public UpstreamCircuit Circuit { get; } = circuit;
    public ResilientUpstream Resilient { get; } = resilient;
    /// <summary>This upstream's effective options (its own Timeouts, Redirects and circuit; the rest shared).</summary>
    public NarGuardOptions Options { get; } = options;

    /// <summary>
    /// The key of this upstream's entries for a store path in the quarantine and the narinfo cache. The first
    /// upstream keeps the bare store hash (as before there were several), so nothing changes for single-upstream setups.
    /// </summary>
    /// <summary>
    /// What to pass as the client's Authorization to this upstream: the client's own only to the first upstream (the
    /// one the client authenticates against, as for pass-through); another upstream gets its own configured token,
    /// so a client's Attic token never travels to a public cache.
    /// </summary>
    public string? AuthorizationFor(string? clientAuthorization) => IsFirst ? clientAuthorization : null;

    public string KeyFor(string storeHash) => IsFirst ? storeHash : Name + "/" + storeHash;
}
