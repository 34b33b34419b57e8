using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;

namespace NarGuard.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="StorageHealth"/> always (never degraded without Storage:Endpoint); the probe and its schedule only
    /// when Storage:Endpoint is set.
    /// </summary>
    public static IServiceCollection AddNarGuardStorage(this IServiceCollection services, NarGuardOptions options)
    {
        services.AddSingleton<StorageHealth>();
        if (string.IsNullOrWhiteSpace(options.Storage.Endpoint))
        {
            return services;
        }
        // Validation has already checked that credentials exist.
        var credentials = StorageCredentials.Resolve(options.Storage, Environment.GetEnvironmentVariable)!;
        services.AddSingleton(sp => new StorageProbe(StorageClientFactory.Create(options, credentials), options.Storage, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<StorageProbeService>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageProbeService>());
        return services;
    }
}
