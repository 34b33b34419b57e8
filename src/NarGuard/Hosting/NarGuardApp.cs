using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Core.Spool;
using NarGuard.Telemetry;

namespace NarGuard.Hosting;

/// <summary>Builds the NarGuard web application from validated options. Used by the CLI and, in-process, by the tests.</summary>
public static class NarGuardApp
{
    /// <param name="configureServices">Runs after NarGuard's registrations; tests use it to swap in a fake TimeProvider.</param>
    public static WebApplication Build(NarGuardOptions options, IConfiguration? configuration = null, Action<ILoggingBuilder>? configureLogging = null, Action<IServiceCollection>? configureServices = null)
    {
        // An empty builder: no appsettings.json, no ASPNETCORE_* surprises; NarGuard's own sources only.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            // The content root is watched for changes: left at the working directory, a unit started from "/"
            // set up 43-45k inotify watches and took 6-27 s to answer /healthz in the benchmark runs (docs/BENCHMARKS.md). NarGuard
            // reads nothing from it, so it is the program's own directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(); // where the host builder's own settings (urls) go
        if (configuration is not null)
        {
            builder.Configuration.AddConfiguration(configuration);
        }
        builder.WebHost.UseUrls(options.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxResponseBufferSize = options.Server.ResponseBufferBytes;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddNarGuard(options);
        NarGuard.Spool.SpoolIntegrityServiceCollectionExtensions.AddNarGuardSpoolIntegrity(builder.Services);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        HealthMetrics.Register(app.Services.GetRequiredService<NarGuardTelemetry>(), app.Services.GetRequiredService<Upstream.UpstreamSet>().Members.Select(m => m.Circuit).ToList(), app.Services.GetRequiredService<Storage.StorageHealth>(), app.Services.GetRequiredService<Canary.CanaryState>());
        var spool = app.Services.GetRequiredService<NarSpool>();
        NarGuard.Spool.SpoolMetrics.Register(app.Services.GetRequiredService<NarGuardTelemetry>().Meter, spool);
        var removed = spool.Initialize();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NarGuard");
        Log.SpoolReady(logger, spool.Root, spool.Count, spool.SizeBytes, removed);
        // Before routing: a forward-proxy request or a traversal never reaches an endpoint, let alone the upstream.
        app.UseNarGuardRequestScreen();
        KestrelRejections.Count(app);
        app.MapNarGuardTelemetry(options.Telemetry);
        app.MapNarGuard();
        // Verified bodies become durable in the background (NarSpool.Commit): a clean stop finishes that work, so
        // that a restart keeps what this run verified. Bounded: an fsync that hangs must not hold the stop forever.
        app.Lifetime.ApplicationStopped.Register(() => spool.WhenDurableAsync().Wait(TimeSpan.FromSeconds(30)));
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var upstreams = app.Services.GetRequiredService<Upstream.UpstreamSet>();
            Log.Started(logger, string.Join(", ", ListeningAddresses(app)), upstreams.First.Endpoint.CachePath is { Length: > 0 } p ? p : "/",
                upstreams.IsSingle ? upstreams.First.Options.Upstream! : string.Join(", ", upstreams.Members.Select(m => m.Name + "=" + m.Options.Upstream)));
        });
        return app;
    }

    /// <summary>The addresses Kestrel actually bound (resolves port 0).</summary>
    public static IReadOnlyList<string> ListeningAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
