using Microsoft.Extensions.Configuration;
using NarGuard.Storage;

namespace NarGuard.Publication.Probe;

/// <summary>
/// probe-publish's storage settings: the Storage section of a narguard settings file (--config), the same keys
/// `narguard serve` reads, overridden by the --storage-* switches. Validated by <see cref="StorageOptionsValidator"/>.
/// </summary>
public static class StorageSettings
{
    public static StorageOptions Resolve(ProbePublishArguments arguments, List<string> errors)
    {
        var storage = new StorageOptions();
        if (arguments.ConfigFile is { } file)
        {
            try
            {
                new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(file), optional: false).Build().GetSection("Storage").Bind(storage);
            }
            catch (Exception ex) when (ex is IOException or FormatException or InvalidDataException or InvalidOperationException)
            {
                errors.Add($"--config: cannot read the Storage section of '{file}' ({ex.GetType().Name}).");
            }
        }
        storage.Endpoint = arguments.StorageEndpoint ?? storage.Endpoint;
        if (arguments.StorageBuckets.Count > 0)
        {
            storage.Buckets = arguments.StorageBuckets;
        }
        storage.Region = arguments.StorageRegion ?? storage.Region;
        storage.ScratchRoundTrip |= arguments.StorageScratch;
        return storage;
    }

    /// <summary>The validator names settings keys; without --config the operator typed switches, so name those.</summary>
    public static string NameSwitches(string error, ProbePublishArguments arguments) =>
        arguments.ConfigFile is not null
            ? error
            : error.Replace("Storage:Endpoint", "--storage-endpoint", StringComparison.Ordinal)
                .Replace("Storage:Buckets", "--storage-bucket", StringComparison.Ordinal)
                .Replace("Storage:Region", "--storage-region", StringComparison.Ordinal);
}
