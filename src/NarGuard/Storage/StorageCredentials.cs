using Amazon.Runtime;

namespace NarGuard.Storage;

/// <summary>
/// The probe's credentials: Storage:AccessKey/SecretKey, else the standard AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
/// (and AWS_SESSION_TOKEN) variables. Deliberately not the SDK's default chain: that chain ends at the EC2 instance
/// metadata endpoint, a network call a proxy on a build host has no business making.
/// </summary>
public static class StorageCredentials
{
    public static AWSCredentials? Resolve(StorageOptions options, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(options.AccessKey) && !string.IsNullOrEmpty(options.SecretKey))
        {
            return new BasicAWSCredentials(options.AccessKey, options.SecretKey);
        }
        var access = environment("AWS_ACCESS_KEY_ID");
        var secret = environment("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret))
        {
            return null;
        }
        var session = environment("AWS_SESSION_TOKEN");
        return string.IsNullOrEmpty(session) ? new BasicAWSCredentials(access, secret) : new SessionAWSCredentials(access, secret, session);
    }
}
