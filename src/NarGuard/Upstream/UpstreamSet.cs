using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Resilience;
using NarGuard.Telemetry;

namespace NarGuard.Upstream;

/// <summary>
/// Every configured upstream, in order (see <see cref="UpstreamList"/>), each with its own endpoint, client, circuit
/// and retries. The first is where the cache path, pass-through requests, the canary, the storage probe and the
/// readiness upstream check point.
/// </summary>
public sealed class UpstreamSet
{
    private readonly Dictionary<string, UpstreamMember> _byName;

    public UpstreamSet(NarGuardOptions options, NarGuardTelemetry telemetry, TimeProvider time, ILoggerFactory loggers)
    {
        var members = new List<UpstreamMember>();
        foreach (var upstream in UpstreamList.Resolve(options))
        {
            var own = upstream.Options;
            var endpoint = new UpstreamEndpoint(own);
            var client = new UpstreamClient(new HttpClient(UpstreamClient.CreateHandler(own)) { Timeout = Timeout.InfiniteTimeSpan }, endpoint, own, telemetry);
            var circuit = new UpstreamCircuit(own, time, loggers.CreateLogger<UpstreamCircuit>());
            var resilient = new ResilientUpstream(client, circuit, own, time, loggers.CreateLogger<ResilientUpstream>());
            members.Add(new UpstreamMember(upstream.Index, endpoint, client, circuit, resilient, own));
        }
        Members = members;
        _byName = members.ToDictionary(m => m.Name, StringComparer.Ordinal);
        telemetry.RegisterUpstreams(members.Select(m => m.Name));
    }

    /// <summary>In the configured order; never empty (validation requires one).</summary>
    public IReadOnlyList<UpstreamMember> Members { get; }

    public UpstreamMember First => Members[0];

    public bool IsSingle => Members.Count == 1;

    /// <summary>The upstream named in a NAR URL; null (the first) for URLs without a name.</summary>
    public UpstreamMember? Find(string? name) => name is null ? First : _byName.GetValueOrDefault(name);
}
