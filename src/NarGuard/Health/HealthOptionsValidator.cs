using NarGuard.Configuration;

namespace NarGuard.Health;

/// <summary>Checks the Health section; messages name the key.</summary>
public static class HealthOptionsValidator
{
    public static void Validate(NarGuardOptions options, List<string> errors)
    {
        if (options.Health.CheckCacheTtl < TimeSpan.Zero || options.Health.CheckCacheTtl > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Health:CheckCacheTtl: must be between 00:00:00 and 00:10:00, got {options.Health.CheckCacheTtl}.");
        }
        if (options.Health.UpstreamTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Health:UpstreamTimeout: must be a positive duration like 00:00:05, got {options.Health.UpstreamTimeout}.");
        }
    }
}
