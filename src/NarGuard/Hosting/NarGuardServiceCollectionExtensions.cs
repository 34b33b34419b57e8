using NarGuard.Canary;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;
using NarGuard.Core.Concurrency;
using NarGuard.Core.Spool;
using NarGuard.Guards;
using NarGuard.Health;
using NarGuard.Publication;
using NarGuard.Resilience;
using NarGuard.Storage;
using NarGuard.Telemetry;
using NarGuard.Upstream;

namespace NarGuard.Hosting;

public static class NarGuardServiceCollectionExtensions
{
    /// <summary>Registers the guards, the upstream client, the spool and telemetry for validated <paramref name="options"/>.</summary>
    public static IServiceCollection AddNarGuard(this IServiceCollection services, NarGuardOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new UpstreamSet(options, sp.GetRequiredService<NarGuardTelemetry>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        // The first upstream's parts: the cache path, pass-through, canary and readiness use only it.
        services.AddSingleton(sp => sp.GetRequiredService<UpstreamSet>().First.Endpoint);
        services.AddSingleton(sp => sp.GetRequiredService<UpstreamSet>().First.Client);
        services.AddSingleton(_ => new NarSpool(options.Spool.Path ?? DefaultSpoolPath(), options.Spool.MaxBytes));
        services.AddSingleton(sp => new Quarantine(options.Quarantine.Ttl, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new NarInfoCache(options.NarInfoCache, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<NarGuardTelemetry>();
        services.AddNarGuardTelemetry(options.Telemetry);
        services.AddNarGuardResilience(options);
        services.AddNarGuardStorage(options);
        services.AddNarGuardHealth(options);
        services.AddNarGuardCanary(options);
        services.AddNarGuardPublication(options);
        services.AddSingleton<NarInfoLookup>();
        services.AddSingleton<NarFetcher>();
        services.AddSingleton<CacheGuard>();
        services.AddHttpForwarder();
        services.AddSingleton(sp => new PassThroughTransformer(sp.GetRequiredService<UpstreamEndpoint>()));
        services.AddSingleton(sp => new HttpMessageInvoker(UpstreamClient.CreateHandler(options)));
        return services;
    }

    public static string DefaultSpoolPath()
    {
        var cacheHome = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cacheHome))
        {
            cacheHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(cacheHome, "narguard");
    }
}
