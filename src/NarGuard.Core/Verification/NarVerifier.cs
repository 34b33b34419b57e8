namespace NarGuard.Core.Verification;

/// <summary>
/// Verifies a compressed NAR body in one streaming pass through fixed pooled buffers: every compressed byte read
/// from <c>body</c> is written to <c>copyTo</c> (the spool temp file) and counted/hashed for FileSize/FileHash,
/// the decompressor reads the same bytes, and the decompressed NAR bytes are counted and SHA-256 hashed.
/// Memory does not grow with NAR size. Never throws for bad data or a failing body: it returns a result.
/// </summary>
public static class NarVerifier
{
    /// <summary>Size of the pooled buffers used for copying and decompressing.</summary>
    public const int BufferSize = 128 * 1024;

    /// <summary>
    /// Reads <paramref name="body"/> to its end and checks it against <paramref name="expected"/>.
    /// Classification: source stream threw with 0 bytes read → Empty; threw later → Truncated;
    /// source threw <see cref="TimeoutException"/> (see <see cref="StallGuardStream"/>) → Timeout;
    /// clean EOF with 0 bytes → Empty; decompressor threw or trailing garbage → DecompressError;
    /// fewer NAR bytes than NarSize → Truncated; more → SizeMismatch (stops reading at NarSize + 1: no bomb);
    /// NarHash differs → HashMismatch; FileSize/FileHash (when given) differ → SizeMismatch/HashMismatch;
    /// Unsupported compression → UnsupportedCompression. Exceptions writing to <paramref name="copyTo"/> → SpoolError.
    /// Cancellation of <paramref name="cancellationToken"/> is rethrown as OperationCanceledException.
    /// </summary>
    public static ValueTask<VerificationResult> VerifyAsync(Stream body, NarExpectation expected, Stream? copyTo, CancellationToken cancellationToken)
        => throw new NotImplementedException();
}
