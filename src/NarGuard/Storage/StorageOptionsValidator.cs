using NarGuard.Configuration;

namespace NarGuard.Storage;

/// <summary>Checks the Storage section; messages name the key and never echo a secret.</summary>
public static class StorageOptionsValidator
{
    public static void Validate(NarGuardOptions options, List<string> errors, Func<string, string?> environment)
    {
        var storage = options.Storage;
        if (string.IsNullOrWhiteSpace(storage.Endpoint))
        {
            if (storage.Buckets.Count > 0)
            {
                errors.Add("Storage:Buckets: set, but Storage:Endpoint is not; the probe needs both.");
            }
            return;
        }

        if (!Uri.TryCreate(storage.Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"Storage:Endpoint: '{storage.Endpoint}' is not an absolute http:// or https:// URL.");
        }
        else if (!string.IsNullOrEmpty(endpoint.UserInfo) || !string.IsNullOrEmpty(endpoint.Query) || endpoint.AbsolutePath != "/")
        {
            // User info would be a credential in a string that gets logged.
            errors.Add("Storage:Endpoint: must be scheme://host[:port] only (credentials go in Storage:AccessKey/SecretKey).");
        }

        if (storage.Buckets.Count == 0)
        {
            errors.Add("Storage:Buckets: list at least one bucket when Storage:Endpoint is set (the bucket Attic stores into).");
        }
        for (var i = 0; i < storage.Buckets.Count; i++)
        {
            if (!IsBucketName(storage.Buckets[i]))
            {
                errors.Add($"Storage:Buckets:{i}: '{storage.Buckets[i]}' is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-').");
            }
        }

        var hasAccess = !string.IsNullOrEmpty(storage.AccessKey);
        var hasSecret = !string.IsNullOrEmpty(storage.SecretKey);
        if (hasAccess != hasSecret)
        {
            errors.Add("Storage:AccessKey / Storage:SecretKey: set both or neither.");
        }
        else if (StorageCredentials.Resolve(storage, environment) is null)
        {
            errors.Add("Storage:AccessKey / Storage:SecretKey: required when Storage:Endpoint is set (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).");
        }

        if (string.IsNullOrWhiteSpace(storage.Region))
        {
            errors.Add("Storage:Region: must not be empty.");
        }
        if (storage.ProbeInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Storage:ProbeInterval: must be at least 00:00:01, got {storage.ProbeInterval}.");
        }
        if (storage.ProbeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Storage:ProbeTimeout: must be a positive duration like 00:00:10, got {storage.ProbeTimeout}.");
        }
        if (storage.ScratchRoundTrip && (string.IsNullOrEmpty(storage.ScratchPrefix) || storage.ScratchPrefix.StartsWith('/') || storage.ScratchPrefix.Length > 200))
        {
            errors.Add($"Storage:ScratchPrefix: must be a relative object key prefix of at most 200 characters, got '{storage.ScratchPrefix}'.");
        }
    }

    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
        && char.IsAsciiLetterOrDigit(name[0])
        && char.IsAsciiLetterOrDigit(name[^1]);
}
