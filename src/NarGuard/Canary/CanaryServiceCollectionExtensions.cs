using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;
using NarGuard.Core.Hashing;

namespace NarGuard.Canary;

public static class CanaryServiceCollectionExtensions
{
    public static IServiceCollection AddNarGuardCanary(this IServiceCollection services, NarGuardOptions options)
    {
        var hashes = options.Canary.StoreHashes.Select(h => StoreHash.FromStorePath(h) ?? h).ToList();
        services.AddSingleton(new CanaryState(hashes));
        services.AddSingleton<CanaryService>();
        services.AddHostedService(sp => sp.GetRequiredService<CanaryService>());
        return services;
    }

    /// <summary>Start-up validation of the Canary section; each message names its key.</summary>
    public static IEnumerable<string> Validate(CanaryOptions options)
    {
        for (var i = 0; i < options.StoreHashes.Count; i++)
        {
            var value = options.StoreHashes[i];
            if (!StoreHash.IsValid(value) && StoreHash.FromStorePath(value) is null)
            {
                yield return $"Canary:StoreHashes:{i}: '{value}' is neither a 32-character store hash nor a store path.";
            }
        }
        if (options.Interval <= TimeSpan.Zero)
        {
            yield return $"Canary:Interval: must be a positive duration like 00:05:00, got {options.Interval}.";
        }
        if (options.Concurrency is < 1 or > 64)
        {
            yield return $"Canary:Concurrency: must be between 1 and 64, got {options.Concurrency}.";
        }
    }
}
