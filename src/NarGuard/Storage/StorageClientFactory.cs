using Amazon.Runtime;
using Amazon.S3;
using NarGuard.Configuration;

namespace NarGuard.Storage;

/// <summary>Builds the S3 client of the storage probe, configured for S3-compatible servers rather than AWS.</summary>
public static class StorageClientFactory
{
    public static AmazonS3Client Create(NarGuardOptions options, AWSCredentials credentials)
    {
        var storage = options.Storage;
        var config = new AmazonS3Config
        {
            // RustFS, MinIO and s3rver serve buckets as a path, not as a sub-domain that would need DNS.
            ForcePathStyle = true,
            AuthenticationRegion = storage.Region,
            // Set after the region settings: ServiceURL and RegionEndpoint reset each other, and the URL must win.
            ServiceURL = storage.Endpoint,
            // AWS_ENDPOINT_URL or ~/.aws/config must not silently point the probe elsewhere.
            IgnoreConfiguredEndpointUrls = true,
            // The schedule is the retry: a probe reports what the storage does now, not after backoff.
            MaxErrorRetry = 0,
            Timeout = storage.ProbeTimeout,
            ConnectTimeout = options.Timeouts.Connect,
            // Newer SDKs add CRC trailers by default, which S3-compatible servers often reject.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            HttpClientFactory = new NoProxyHttpClientFactory(options.Timeouts.Connect),
        };
        return new AmazonS3Client(credentials, config);
    }

    // Like the upstream client: the storage is reached directly, never through a system proxy.
    private sealed class NoProxyHttpClientFactory(TimeSpan connectTimeout) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = connectTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            { Timeout = Timeout.InfiniteTimeSpan };

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

        public override string GetConfigUniqueString(IClientConfig clientConfig) => "narguard-storage-probe";
    }
}
