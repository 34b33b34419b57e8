using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NarGuard.Configuration;

namespace NarGuard.Publication;

public static class PublicationServiceCollectionExtensions
{
    /// <summary>
    /// The publication guard: holds, the read-back queue and its workers, the storage evidence and the push guard.
    /// Always registered (the holds are consulted by the narinfo and NAR guards); with Publication:Gate = Off the
    /// push guard takes no request and nothing is ever queued or held.
    /// </summary>
    public static IServiceCollection AddNarGuardPublication(this IServiceCollection services, NarGuardOptions options)
    {
        services.AddSingleton(options.Publication);
        services.AddSingleton(sp => new PublicationHolds(options.Publication, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new ReadBackQueue(options.Publication));
        services.AddSingleton<PublicationMetrics>();
        services.AddSingleton<StorageEvidence>();
        services.AddSingleton<ReadBackService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReadBackService>());
        services.AddSingleton<PushGuard>();
        return services;
    }
}
