using AtticEmulator;
using NarGuard.Configuration;
using NarGuard.Tests.Support;

namespace NarGuard.Tests.MultiUpstream;

/// <summary>
/// The proxy in front of two Attic emulators: A (the fixture's own upstream, the first, named u1) and B (named "b").
/// Both hold the same store paths unless a test adds a path differently; faults are set per emulator.
/// </summary>
public sealed class TwoUpstreams : IAsyncDisposable
{
    private TwoUpstreams(ProxyFixture proxy, AtticEmulatorServer b)
    {
        Proxy = proxy;
        B = b;
    }

    public ProxyFixture Proxy { get; }
    public AtticEmulatorServer A => Proxy.Upstream;
    public AtticEmulatorServer B { get; }

    public static async Task<TwoUpstreams> StartAsync(Action<NarGuardOptions>? configure = null, EmulatorOptions? b = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null, EmulatorOptions? a = null)
    {
        var second = await AtticEmulatorServer.StartAsync(b ?? new EmulatorOptions());
        var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstreams.Add(new UpstreamOptions { Name = "b", Url = second.CacheUrl });
            configure?.Invoke(o);
        }, emulator: a is null ? null : a with { StallDuration = TimeSpan.FromSeconds(20) }, services: services);
        return new TwoUpstreams(proxy, second);
    }

    /// <summary>Adds one path to both upstreams (the same NAR, so the same NarHash); returns A's object.</summary>
    public StoreObject AddToBoth(string name, int size = 100_000)
    {
        var path = StorePaths.Make(name);
        var nar = Nar.OfText(name, size);
        B.Add(path, nar);
        return A.Add(path, nar);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await B.DisposeAsync();
    }
}
