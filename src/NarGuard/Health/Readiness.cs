using NarGuard.Resilience;
using NarGuard.Storage;

namespace NarGuard.Health;

/// <summary>The readiness verdict: every check by name, and which failed.</summary>
/// <param name="Upstreams">Every configured upstream's circuit, in order (informational: readiness follows the first upstream only).</param>
public sealed record ReadinessReport(bool Ready, IReadOnlyDictionary<string, CheckResult> Checks, UpstreamCircuitState Circuit, StorageProbeResult? Storage,
    IReadOnlyList<(string Name, UpstreamCircuitState Circuit)>? Upstreams = null)
{
    public IEnumerable<string> Failed => Checks.Where(c => !c.Value.Ok).Select(c => c.Key);
}

/// <summary>
/// Evaluates /readyz: the upstream answers nix-cache-info (cached briefly), the spool is writable (cached briefly),
/// and, when Storage:Endpoint is set, the last storage probe passed. The storage check reads the background probe's
/// last result and never calls the storage itself.
/// </summary>
/// <remarks>
/// With several upstreams, ready still means "the first upstream answers": it is the one pushes, the storage probe
/// and the canary are about, and the others are public caches whose outages the proxy rides out (their circuits
/// are listed in the report and exported as gauges). Taking the proxy out of a load balancer because a later
/// upstream is down would turn a slower build into no build.
/// </remarks>
public sealed class Readiness
{
    public const string Upstream = "upstream";
    public const string Spool = "spool";
    public const string Storage = "storage";
    public const string Canary = "canary";

    private readonly UpstreamReadiness _upstream;
    private readonly SpoolReadiness _spool;
    private readonly StorageHealth _storage;
    private readonly UpstreamCircuit _circuit;
    private readonly TimeProvider _time;
    private readonly Canary.CanaryState _canary;

    private readonly Upstream.UpstreamSet? _upstreams;

    public Readiness(UpstreamReadiness upstream, SpoolReadiness spool, StorageHealth storage, UpstreamCircuit circuit, TimeProvider time, Canary.CanaryState canary, Upstream.UpstreamSet? upstreams = null)
    {
        _upstreams = upstreams;
        _canary = canary;
        _upstream = upstream;
        _spool = spool;
        _storage = storage;
        _circuit = circuit;
        _time = time;
    }

    public async Task<ReadinessReport> EvaluateAsync()
    {
        var upstream = _upstream.CheckAsync();
        var spool = _spool.CheckAsync();
        var checks = new Dictionary<string, CheckResult>(StringComparer.Ordinal)
        {
            [Upstream] = await upstream.ConfigureAwait(false),
            [Spool] = await spool.ConfigureAwait(false),
        };
        if (_storage.IsConfigured)
        {
            checks[Storage] = _storage.Last switch
            {
                null => new CheckResult(false, "no storage probe has finished yet", _time.GetUtcNow(), "pending"),
                { Ok: true } ok => new CheckResult(true, ok.Detail, ok.CheckedAt),
                { } failed => new CheckResult(false, (failed.Bucket is { } b ? $"bucket '{b}': " : "") + failed.Detail, failed.CheckedAt, failed.FailedCheck),
            };
        }
        if (_canary.IsConfigured)
        {
            checks[Canary] = _canary.Last switch
            {
                null => new CheckResult(false, "no canary run has finished yet", _time.GetUtcNow(), "pending"),
                { Broken: 0 } ok => new CheckResult(true, $"{ok.Results.Count} paths intact", ok.FinishedAt),
                { } broken => new CheckResult(false, string.Join("; ", broken.Results.Where(r => !r.IsOk).Select(r => $"{r.DisplayName}: {r.Status}")), broken.FinishedAt, "broken_paths"),
            };
        }
        return new ReadinessReport(checks.Values.All(c => c.Ok), checks, _circuit.State, _storage.Last,
            _upstreams?.Members.Select(m => (m.Name, m.Circuit.State)).ToList());
    }
}
