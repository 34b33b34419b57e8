using System.Buffers;
using System.Security.Cryptography;
using NarGuard.Core.Hashing;

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
    /// <remarks>
    /// One refinement of "decompressor threw → DecompressError": when the decompressor threw because it asked for
    /// input after the body had ended (a cut inside a zstd frame or its checksum, an xz index or footer), the result
    /// is Truncated, since that is what happened to the body; corrupt bytes inside the body stay DecompressError.
    /// </remarks>
    public static async ValueTask<VerificationResult> VerifyAsync(Stream body, NarExpectation expected, Stream? copyTo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentOutOfRangeException.ThrowIfNegative(expected.NarSize);
        cancellationToken.ThrowIfCancellationRequested();
        if (!NarDecompressor.IsSupported(expected.Compression))
        {
            return new VerificationResult(RejectReason.UnsupportedCompression, 0, 0, null, $"compression {expected.Compression} cannot be verified");
        }

        var tap = new SourceTap(body, copyTo, expected.FileHash is not null, BufferSize);
        var narHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        Stream? decoder = null;
        long narBytes = 0;
        try
        {
            decoder = NarDecompressor.Open(expected.Compression, tap);
            while (true)
            {
                // Never ask for more than one byte past NarSize: a decompression bomb is cut off right there.
                int want = (int)Math.Min(BufferSize, expected.NarSize - narBytes + 1);
                int n = await decoder.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                narBytes += n;
                if (narBytes > expected.NarSize)
                {
                    return new VerificationResult(RejectReason.SizeMismatch, tap.BytesReceived, narBytes, null,
                        $"expected NarSize {expected.NarSize}, got more (stopped at {narBytes})");
                }
                narHash.AppendData(buffer, 0, n);
            }

            // The compressed data ended; the rest of the body still goes through the tap, so the spool copy and
            // FileSize/FileHash cover every byte, and anything left over is trailing garbage.
            long trailing = await tap.DrainAsync(cancellationToken).ConfigureAwait(false);
            return Judge(expected, tap, narBytes, trailing, narHash.GetHashAndReset());
        }
        catch (Exception ex)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (ex is OperationCanceledException)
                {
                    throw;
                }
                throw new OperationCanceledException("NAR verification was cancelled", ex, cancellationToken);
            }
            return Classify(ex, expected, tap, narBytes);
        }
        finally
        {
            decoder?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            narHash.Dispose();
            tap.Release();
        }
    }

    private static VerificationResult Judge(NarExpectation expected, SourceTap tap, long narBytes, long trailing, byte[] actualNarHash)
    {
        long received = tap.BytesReceived;
        if (received == 0)
        {
            return new VerificationResult(RejectReason.Empty, 0, 0, null, "no byte received");
        }
        string actual = new NixHash(actualNarHash).ToNix32();
        if (trailing > 0)
        {
            return new VerificationResult(RejectReason.DecompressError, received, narBytes, actual,
                $"{trailing} bytes after the end of the {Label(expected)} data");
        }
        if (narBytes < expected.NarSize)
        {
            return new VerificationResult(RejectReason.Truncated, received, narBytes, actual,
                $"expected NarSize {expected.NarSize}, got {narBytes}");
        }
        if (!expected.NarHash.Bytes.SequenceEqual(actualNarHash))
        {
            return new VerificationResult(RejectReason.HashMismatch, received, narBytes, actual,
                $"expected NarHash {Hex(expected.NarHash.Bytes)}, got {Hex(actualNarHash)}");
        }
        if (expected.FileSize is { } fileSize && fileSize != received)
        {
            return new VerificationResult(RejectReason.SizeMismatch, received, narBytes, actual,
                $"expected FileSize {fileSize}, got {received}");
        }
        if (expected.FileHash is { } fileHash && tap.GetFileHash() is { } actualFileHash && !fileHash.Bytes.SequenceEqual(actualFileHash))
        {
            return new VerificationResult(RejectReason.HashMismatch, received, narBytes, actual,
                $"expected FileHash {Hex(fileHash.Bytes)}, got {Hex(actualFileHash)}");
        }
        return new VerificationResult(null, received, narBytes, actual, null);
    }

    private static VerificationResult Classify(Exception ex, NarExpectation expected, SourceTap tap, long narBytes)
    {
        long received = tap.BytesReceived;
        if (tap.SpoolError is { } spool)
        {
            return new VerificationResult(RejectReason.SpoolError, received, narBytes, null, $"writing the spool copy failed: {Describe(spool)}");
        }
        if (tap.SourceError is { } source)
        {
            // Checked before the decompressor's exception: decoders rethrow or wrap what the source threw.
            if (IsTimeout(source))
            {
                return new VerificationResult(RejectReason.Timeout, received, narBytes, null, $"{Describe(source)} after {received} bytes");
            }
            return received == 0
                ? new VerificationResult(RejectReason.Empty, 0, 0, null, $"body failed before any byte: {Describe(source)}")
                : new VerificationResult(RejectReason.Truncated, received, narBytes, null, $"body failed after {received} bytes: {Describe(source)}");
        }
        if (received == 0)
        {
            return new VerificationResult(RejectReason.Empty, 0, 0, null, "no byte received");
        }
        if (tap.ReadPastEnd)
        {
            return new VerificationResult(RejectReason.Truncated, received, narBytes, null,
                $"{Label(expected)} data ended early after {received} bytes ({Describe(ex)})");
        }
        return new VerificationResult(RejectReason.DecompressError, received, narBytes, null, $"{Label(expected)}: {Describe(ex)}");
    }

    // A cancellation that is not the caller's (the token was checked before) is a deadline elsewhere, e.g.
    // HttpClient.Timeout, which surfaces as TaskCanceledException wrapping a TimeoutException.
    private static bool IsTimeout(Exception ex) =>
        ex is TimeoutException or OperationCanceledException || ex.InnerException is TimeoutException;

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    private static string Label(NarExpectation expected) => expected.Compression.ToString().ToLowerInvariant();

    private static string Hex(ReadOnlySpan<byte> hash) => "sha256:" + Convert.ToHexStringLower(hash);
}
