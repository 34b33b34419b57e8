using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace AtticEmulator;

/// <summary>
/// The emulator's S3 backend: one object per compressed chunk, as Attic's chunked storage keeps them. Every call
/// goes to the server (no retries, no cache), so a bucket that lost its index fails the next upload or download
/// the way it failed Attic's (<c>NoSuchBucket</c>).
/// </summary>
internal sealed class ChunkStore : IDisposable
{
    private readonly AmazonS3Client _s3;

    public ChunkStore(EmulatorS3Options options)
    {
        Bucket = options.Bucket;
        var config = new AmazonS3Config
        {
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,
            ServiceURL = options.Endpoint,
            IgnoreConfiguredEndpointUrls = true,
            // An upload that fails must fail now, as in the incident, not after the SDK's backoff.
            MaxErrorRetry = 0,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _s3 = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public string Bucket { get; }

    public async Task PutAsync(string key, byte[] chunk, CancellationToken ct)
    {
        using var content = new MemoryStream(chunk, writable: false);
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = content,
            AutoCloseStream = false,
            // A plain signed body: aws-chunked uploads are where S3-compatible servers differ most.
            UseChunkEncoding = false,
        }, ct);
    }

    /// <summary>Copies one chunk object to <paramref name="destination"/>, flushing once it is all there.</summary>
    public async Task CopyToAsync(string key, Stream destination, CancellationToken ct)
    {
        using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key }, ct);
        await using var body = response.ResponseStream;
        await body.CopyToAsync(destination, ct);
        await destination.FlushAsync(ct);
    }

    /// <summary>Best effort, as Attic's clean-up after a failed upload: a failure here is not reported.</summary>
    public async Task TryDeleteAsync(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            try
            {
                await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key });
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
            {
                // The storage that failed the upload may well fail the clean-up too.
            }
        }
    }

    public void Dispose() => _s3.Dispose();
}
