using NarGuard.Configuration;

namespace NarGuard.Publication;

/// <summary>Checks the Publication section at start; each message names its key.</summary>
public static class PublicationOptionsValidator
{
    public static void Validate(NarGuardOptions options, List<string> errors)
    {
        var publication = options.Publication;
        if (!Enum.IsDefined(publication.Gate))
        {
            errors.Add($"Publication:Gate: must be Off, Observe or Enforce, got {publication.Gate}.");
        }
        if (publication.Gate == PublicationGateMode.Enforce && string.IsNullOrWhiteSpace(options.Storage.Endpoint))
        {
            errors.Add("Publication:Gate: Enforce gates pushes on the storage probe, which needs Storage:Endpoint and Storage:Buckets; use Observe without them.");
        }
        if (publication.ReadBackQueueSize is < 1 or > 1_000_000)
        {
            errors.Add($"Publication:ReadBackQueueSize: must be between 1 and 1000000, got {publication.ReadBackQueueSize}.");
        }
        if (publication.ReadBackConcurrency is < 1 or > 64)
        {
            errors.Add($"Publication:ReadBackConcurrency: must be between 1 and 64, got {publication.ReadBackConcurrency}.");
        }
        if (publication.ReadBackTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Publication:ReadBackTimeout: must be a positive duration like 00:04:00, got {publication.ReadBackTimeout}.");
        }
        if (publication.HoldTtl <= TimeSpan.Zero)
        {
            errors.Add($"Publication:HoldTtl: must be a positive duration like 24:00:00 (1.00:00:00), got {publication.HoldTtl}.");
        }
        if (publication.HoldMaxEntries is < 1 or > 10_000_000)
        {
            errors.Add($"Publication:HoldMaxEntries: must be between 1 and 10000000, got {publication.HoldMaxEntries}.");
        }
        if (publication.HoldRecheckInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Publication:HoldRecheckInterval: must be at least 00:00:01, got {publication.HoldRecheckInterval}.");
        }
    }
}
