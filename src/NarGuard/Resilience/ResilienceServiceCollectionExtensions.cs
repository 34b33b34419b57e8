using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;

namespace NarGuard.Resilience;

public static class ResilienceServiceCollectionExtensions
{
    /// <summary>The upstream circuit (a singleton: one upstream, one state) and the guards' resilient upstream.</summary>
    public static IServiceCollection AddNarGuardResilience(this IServiceCollection services, NarGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton<UpstreamCircuit>();
        services.AddSingleton<ResilientUpstream>();
        return services;
    }
}
