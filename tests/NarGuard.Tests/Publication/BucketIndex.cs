using NarGuard.Tests.Health;

namespace NarGuard.Tests.Publication;

/// <summary>
/// The incident on s3rver: the bucket's directory moves aside, so ListBuckets stops listing it and every request
/// for it answers NoSuchBucket, while its data stays on disk; moving it back is the "controlled restart" that
/// restored the index. Nothing is deleted, exactly as in RustFS's lost bucket index.
/// </summary>
public static class BucketIndex
{
    public static void Lose(S3rverServer s3, string bucket) =>
        Directory.Move(Path.Combine(s3.DataDir, bucket), Hidden(s3, bucket));

    public static void Restore(S3rverServer s3, string bucket) =>
        Directory.Move(Hidden(s3, bucket), Path.Combine(s3.DataDir, bucket));

    /// <summary>Keys of the objects the bucket holds (read from disk, so it works while the index is lost).</summary>
    public static int ObjectCount(S3rverServer s3, string bucket)
    {
        var dir = Directory.Exists(Path.Combine(s3.DataDir, bucket)) ? Path.Combine(s3.DataDir, bucket) : Hidden(s3, bucket);
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Count(f => f.EndsWith("._S3rver_object", StringComparison.Ordinal))
            : 0;
    }

    // Outside s3rver's data directory, so it cannot be listed as a bucket.
    private static string Hidden(S3rverServer s3, string bucket) => s3.DataDir.TrimEnd('/') + "-lost-" + bucket;
}
