using AtticEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Hosting;
using NarGuard.Telemetry;
using Xunit;

namespace NarGuard.Tests.Support;

/// <summary>The real NarGuard host on loopback port 0, in front of an Attic emulator, with metrics and logs captured.</summary>
public sealed class ProxyFixture : IAsyncDisposable
{
    private bool _ownsUpstream;
    private bool _ownsSpool;

    private ProxyFixture(AtticEmulatorServer upstream, WebApplication app, string spoolDir, CollectedMetrics metrics, CapturedLogs logs, string baseUrl, NarGuardOptions options)
    {
        Upstream = upstream;
        App = app;
        SpoolDir = spoolDir;
        Metrics = metrics;
        Logs = logs;
        BaseUrl = baseUrl;
        Options = options;
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = new Uri(baseUrl + "/main/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public AtticEmulatorServer Upstream { get; }
    public WebApplication App { get; }
    public string SpoolDir { get; }
    public CollectedMetrics Metrics { get; }
    public CapturedLogs Logs { get; }
    public string BaseUrl { get; }
    public NarGuardOptions Options { get; }
    /// <summary>A client whose base address is the proxied cache (http://127.0.0.1:PORT/main/).</summary>
    public HttpClient Client { get; }

    /// <param name="services">Runs after NarGuard's registrations (e.g. a FakeTimeProvider for the circuit tests).</param>
    public static async Task<ProxyFixture> StartAsync(Action<NarGuardOptions>? configure = null, EmulatorOptions? emulator = null, AtticEmulatorServer? upstream = null, string? spoolDir = null, Action<IServiceCollection>? services = null)
    {
        var ownsUpstream = upstream is null;
        var ownsSpool = spoolDir is null;
        upstream ??= await AtticEmulatorServer.StartAsync(emulator ?? new EmulatorOptions { StallDuration = TimeSpan.FromSeconds(20) });
        spoolDir ??= Path.Combine(Path.GetTempPath(), "narguard-test-" + Guid.NewGuid().ToString("N"));
        var options = new NarGuardOptions
        {
            Upstream = upstream.CacheUrl,
            Listen = "http://127.0.0.1:0",
            Spool = { Path = spoolDir },
        };
        options.Timeouts.Stall = TimeSpan.FromSeconds(1);
        configure?.Invoke(options);
        var errors = NarGuardOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", errors));
        }

        var logs = new CapturedLogs();
        var app = NarGuardApp.Build(options, configureLogging: logging => logging.AddProvider(logs), configureServices: services);
        var metrics = new CollectedMetrics(app.Services.GetRequiredService<NarGuardTelemetry>().Meter);
        await app.StartAsync();
        var address = NarGuardApp.ListeningAddresses(app).Single();
        return new ProxyFixture(upstream, app, spoolDir, metrics, logs, address.TrimEnd('/'), options) { _ownsUpstream = ownsUpstream, _ownsSpool = ownsSpool };
    }

    /// <summary>Stops only the proxy (keeping the upstream and spool), as a restart does.</summary>
    public async Task StopProxyAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>
    /// Files in the spool's nar/ and tmp/ directories, once every verified body is durable (NarSpool.Commit serves a
    /// body from tmp/ at once and moves it into nar/ in the background).
    /// </summary>
    public string[] SpoolNarFiles()
    {
        WaitForSpoolDurability();
        return Directory.GetFiles(Path.Combine(SpoolDir, "nar"));
    }

    public string[] SpoolTempFiles()
    {
        WaitForSpoolDurability();
        return Directory.GetFiles(Path.Combine(SpoolDir, "tmp"));
    }

    private void WaitForSpoolDurability()
    {
        try
        {
            Assert.True(App.Services.GetRequiredService<NarGuard.Core.Spool.NarSpool>().WhenDurableAsync().Wait(TimeSpan.FromSeconds(30)), "spool commits did not become durable");
        }
        catch (ObjectDisposedException)
        {
            // The proxy was stopped (a restart test): its stop already waited.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Metrics.Dispose();
        try
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
        }
        if (_ownsUpstream)
        {
            await Upstream.DisposeAsync();
        }
        if (_ownsSpool && Directory.Exists(SpoolDir))
        {
            Directory.Delete(SpoolDir, recursive: true);
        }
    }
}
