using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;

namespace NarGuard.Resilience;

public static class ResilienceServiceCollectionExtensions
{
    /// <summary>The first upstream's circuit and resilient client, as singletons (every upstream's are in <see cref="Upstream.UpstreamSet"/>).</summary>
    public static IServiceCollection AddNarGuardResilience(this IServiceCollection services, NarGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // One circuit and one retrying client per upstream live in the UpstreamSet; these are the first upstream's,
        // for the parts that only look at it (readiness, canary, the circuit tests).
        services.AddSingleton(sp => sp.GetRequiredService<Upstream.UpstreamSet>().First.Circuit);
        services.AddSingleton(sp => sp.GetRequiredService<Upstream.UpstreamSet>().First.Resilient);
        return services;
    }
}
