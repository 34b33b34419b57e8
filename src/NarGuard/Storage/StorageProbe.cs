using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace NarGuard.Storage;

/// <summary>
/// One pass of the storage checks, in the order the incident teaches: ListBuckets must still list every configured
/// bucket (the bucket index is what got lost while the data stayed on disk), HeadBucket must succeed, and optionally a
/// scratch object must survive a put, a get and a delete. Failures are values; the first one ends the pass.
/// </summary>
public sealed class StorageProbe : IDisposable
{
    private readonly IAmazonS3 _s3;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly string _scratchKey;

    public StorageProbe(IAmazonS3 s3, StorageOptions options, TimeProvider time)
    {
        _s3 = s3;
        _options = options;
        _time = time;
        _scratchKey = options.ScratchPrefix + Environment.MachineName.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N");
    }

    /// <summary>Runs every check within Storage:ProbeTimeout; <paramref name="previousFailures"/> carries the failure streak on.</summary>
    public async Task<StorageProbeResult> RunAsync(int previousFailures, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.ProbeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var check = StorageProbeResult.ListBuckets;
        string? bucket = null;
        try
        {
            var listed = await _s3.ListBucketsAsync(new ListBucketsRequest(), linked.Token).ConfigureAwait(false);
            var names = new HashSet<string>((listed.Buckets ?? []).Select(b => b.BucketName), StringComparer.Ordinal);
            foreach (var configured in _options.Buckets)
            {
                if (!names.Contains(configured))
                {
                    return Failed(check, configured, $"bucket '{configured}' is missing from ListBuckets ({names.Count} listed)", started, previousFailures);
                }
            }

            check = StorageProbeResult.HeadBucket;
            foreach (var configured in _options.Buckets)
            {
                bucket = configured;
                await _s3.HeadBucketAsync(new HeadBucketRequest { BucketName = configured }, linked.Token).ConfigureAwait(false);
            }

            if (_options.ScratchRoundTrip)
            {
                check = StorageProbeResult.ScratchRoundTrip;
                foreach (var configured in _options.Buckets)
                {
                    bucket = configured;
                    if (await RoundTripAsync(configured, linked.Token).ConfigureAwait(false) is { } mismatch)
                    {
                        return Failed(check, configured, mismatch, started, previousFailures);
                    }
                }
            }
            return new StorageProbeResult(true, null, null, Summary(), _time.GetUtcNow(), _time.GetElapsedTime(started), 0);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Failed(check, bucket, $"no answer within {_options.ProbeTimeout.TotalSeconds:0.#} s", started, previousFailures);
        }
        catch (AmazonServiceException ex)
        {
            // The error code (NoSuchBucket, AccessDenied, ...) and status say what happened; the message can echo request details.
            return Failed(check, bucket, $"{(string.IsNullOrEmpty(ex.ErrorCode) ? ex.GetType().Name : ex.ErrorCode)} ({(int)ex.StatusCode})", started, previousFailures);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(check, bucket, Describe(ex), started, previousFailures);
        }
    }

    private async Task<string?> RoundTripAsync(string bucket, CancellationToken cancellationToken)
    {
        var content = $"narguard storage probe {_time.GetUtcNow():O}\n";
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = _scratchKey,
            ContentBody = content,
            ContentType = "text/plain",
            // A plain signed body: chunked (aws-chunked) uploads are where S3-compatible servers differ most.
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        string read;
        using (var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = _scratchKey }, cancellationToken).ConfigureAwait(false))
        using (var reader = new StreamReader(response.ResponseStream, Encoding.UTF8))
        {
            read = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = _scratchKey }, cancellationToken).ConfigureAwait(false);
        return read == content ? null : $"scratch object read back {Encoding.UTF8.GetByteCount(read)} bytes, not the {Encoding.UTF8.GetByteCount(content)} written";
    }

    private string Summary() =>
        $"{_options.Buckets.Count} bucket(s) listed and reachable" + (_options.ScratchRoundTrip ? ", scratch round trip ok" : "");

    private StorageProbeResult Failed(string check, string? bucket, string detail, long started, int previousFailures) =>
        new(false, check, bucket, detail, _time.GetUtcNow(), _time.GetElapsedTime(started), previousFailures + 1);

    private static string Describe(Exception ex)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException http)
            {
                return "connection: " + http.HttpRequestError;
            }
        }
        return ex.GetType().Name + (ex.InnerException is { } cause ? " (" + cause.GetType().Name + ")" : "");
    }

    public void Dispose() => _s3.Dispose();
}
