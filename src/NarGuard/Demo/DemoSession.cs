using AtticEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Hosting;

namespace NarGuard.Demo;

/// <summary>
/// The bundled Attic-shaped upstream with one store path per fault, and the real NarGuard host in front of it, both on
/// loopback. <see cref="RunAsync"/> fetches every path straight and through the guard; the servers stay up until
/// the session is disposed, so the printed curl and nix commands keep working.
/// </summary>
public sealed class DemoSession : IAsyncDisposable
{
    /// <summary>NarGuard gives up on a silent NAR after this long (its Timeouts:Stall; 30 s in production).</summary>
    public static readonly TimeSpan ProxyStall = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The demo client's own stall limit, Nix's stalled-download-timeout shortened from 300 s. Longer than
    /// <see cref="ProxyStall"/>, as in production: the proxy must give up (and answer 404) before the client does.
    /// </summary>
    public static readonly TimeSpan ClientStall = TimeSpan.FromSeconds(4);

    // The emulator stays silent longer than the client waits, so a direct client sees a stall, not a reset.
    private static readonly TimeSpan UpstreamStall = TimeSpan.FromSeconds(8);

    private const int NarSize = 300 * 1024;

    private readonly AtticEmulatorServer _upstream;
    private readonly WebApplication _proxy;
    private readonly string _spool;
    private readonly IReadOnlyList<(DemoCase Case, StoreObject Object)> _paths;

    private DemoSession(AtticEmulatorServer upstream, WebApplication proxy, string spool, string proxyCacheUrl, IReadOnlyList<(DemoCase, StoreObject)> paths)
    {
        _upstream = upstream;
        _proxy = proxy;
        _spool = spool;
        _paths = paths;
        ProxyCacheUrl = proxyCacheUrl;
    }

    public string UpstreamCacheUrl => _upstream.CacheUrl;
    public string ProxyCacheUrl { get; }

    /// <param name="listen">Where NarGuard listens (port 0 picks a free one).</param>
    /// <param name="upstreamListen">Where the bundled upstream listens.</param>
    /// <param name="verbose">Show NarGuard's own log lines (the "NAR rejected" evidence) on the console.</param>
    public static async Task<DemoSession> StartAsync(string listen = "http://127.0.0.1:0", string upstreamListen = "http://127.0.0.1:0", bool verbose = false)
    {
        var upstream = await AtticEmulatorServer.StartAsync(new EmulatorOptions
        {
            Listen = new Uri(upstreamListen),
            StallDuration = UpstreamStall,
        });
        var spool = Path.Combine(Path.GetTempPath(), "narguard-demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = DemoCase.All
                .Select(c => (c, Object: upstream.Add(DemoNar.StorePath(c.Name), DemoNar.OfText(c.Name, NarSize))))
                .ToList();
            foreach (var (demoCase, obj) in paths)
            {
                upstream.SetFault(obj.StoreHash, demoCase.Fault);
            }

            var options = new NarGuardOptions { Upstream = upstream.CacheUrl, Listen = listen, Spool = { Path = spool } };
            options.Timeouts.Stall = ProxyStall;
            // The circuit breaker would, after the demo's many injected failures, answer circuit_open for every later
            // path and hide the per-fault reasons the table exists to show. Production keeps it on.
            options.Resilience.Circuit.Enabled = false;
            var errors = NarGuardOptionsValidator.Validate(options);
            if (errors.Count > 0)
            {
                throw new ArgumentException(string.Join("; ", errors));
            }

            var proxy = NarGuardApp.Build(options, configureLogging: logging =>
            {
                if (!verbose)
                {
                    logging.ClearProviders();
                }
            });
            await proxy.StartAsync();
            var address = NarGuardApp.ListeningAddresses(proxy).First().TrimEnd('/');
            address = address.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal);
            return new DemoSession(upstream, proxy, spool, address + "/" + upstream.Options.CacheName, paths);
        }
        catch
        {
            await upstream.DisposeAsync();
            DeleteSpool(spool);
            throw;
        }
    }

    /// <summary>Fetches every demo path straight from the upstream and through NarGuard, all at once.</summary>
    public async Task<DemoReport> RunAsync(CancellationToken cancellationToken)
    {
        using var client = new DemoClient(ClientStall);
        var rows = await Task.WhenAll(_paths.Select(async p =>
        {
            var direct = client.FetchAsync(UpstreamCacheUrl, p.Object.StoreHash, cancellationToken);
            var guarded = client.FetchAsync(ProxyCacheUrl, p.Object.StoreHash, cancellationToken);
            return new DemoRow(p.Case, p.Object.StorePath, await direct, await guarded);
        }));
        return new DemoReport(UpstreamCacheUrl, ProxyCacheUrl, rows);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.StopAsync();
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        DeleteSpool(_spool);
    }

    private static void DeleteSpool(string spool)
    {
        try
        {
            if (Directory.Exists(spool))
            {
                Directory.Delete(spool, recursive: true);
            }
        }
        catch (IOException)
        {
            // A temp directory left behind is not worth failing the demo's exit for.
        }
    }
}
