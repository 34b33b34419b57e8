using System.IO.Compression;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using Xunit;
using static NarGuard.Core.Tests.Verification.NarTestData;

namespace NarGuard.Core.Tests.Fuzz;

/// <summary>
/// Properties of the verifier over real compressed NARs mutated at random: it never throws, its allocations and the
/// NAR bytes it reads are bounded, and it never calls a mutated body valid unless the mutation changed nothing a
/// client would unpack (checked by byte equality, or by a second decoder where the format has bytes no checksum covers).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class VerifierFuzzTests
{
    // A decoder may allocate its window (xz dictionaries, zstd windows); a mutated header must not make it ask for more.
    private const long AllocationBound = 96L * 1024 * 1024;

    private static readonly (string File, byte[] Body, byte[] Nar)[] Inputs =
        [.. Bodies.Select(b => (b.File, Read(b.File), NarOf(b.File)))];

    [Fact]
    public async Task Mutated_bodies_never_verify_unless_the_nar_is_unchanged()
    {
        var cases = FuzzCases.Count(2000);
        for (var n = 0; n < cases; n++)
        {
            var random = FuzzCases.For(n);
            var (file, body, nar) = Inputs[random.Next(Inputs.Length)];
            var (mutated, mutation) = Mutations.Apply(body, random);
            var withFileFields = random.Next(3) == 0;
            var expected = Expect(file, withFileFields);
            var context = $"seed {FuzzCases.Seed} case {n}: {file} ({mutation}{(withFileFields ? ", FileHash/FileSize checked" : "")})";

            VerificationResult result;
            long allocated;
            try
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                result = await NarVerifier.VerifyAsync(new MemoryStream(mutated), expected, Stream.Null, CancellationToken.None);
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"{context}: the verifier threw {ex}");
            }

            Assert.True(allocated < AllocationBound, $"{context}: {allocated} bytes allocated");
            Assert.True(result.NarBytes <= expected.NarSize + 1, $"{context}: read {result.NarBytes} NAR bytes for NarSize {expected.NarSize}");
            var identical = mutated.AsSpan().SequenceEqual(body);
            if (identical)
            {
                Assert.True(result.IsValid, $"{context}: a no-op mutation was refused: {result.Detail}");
                continue;
            }
            if (!result.IsValid)
            {
                continue;
            }
            // Valid although the bytes differ: only acceptable where no FileHash pins the bytes and the format has
            // bytes outside its checksums (gzip's header, zstd's window bits...); a second decoder must agree.
            Assert.False(withFileFields, $"{context}: a changed body passed FileHash/FileSize");
            Assert.NotEqual(NarCompression.None, expected.Compression);
            var reference = ReferenceDecode(expected.Compression, mutated);
            Assert.True(reference is not null && reference.AsSpan().SequenceEqual(nar), $"{context}: verified, but a reference decoder reads {(reference is null ? "an error" : reference.Length + " different bytes")}");
        }
    }

    [Fact]
    public async Task Bodies_that_decompress_far_beyond_NarSize_stop_one_byte_past_it()
    {
        var cases = FuzzCases.Count(500);
        for (var n = 0; n < cases; n++)
        {
            var random = FuzzCases.For(n);
            var (file, body, nar) = Inputs[random.Next(Inputs.Length)];
            var expected = Expect(file) with { NarSize = random.NextInt64(1, nar.Length) };
            var result = await NarVerifier.VerifyAsync(new MemoryStream(body), expected, Stream.Null, CancellationToken.None);
            var context = $"seed {FuzzCases.Seed} case {n}: {file} with NarSize {expected.NarSize} of {nar.Length}";
            Assert.False(result.IsValid, context);
            Assert.Equal(RejectReason.SizeMismatch, result.Reason);
            Assert.Equal(expected.NarSize + 1, result.NarBytes);
        }
    }

    private static byte[]? ReferenceDecode(NarCompression compression, byte[] body)
    {
        try
        {
            using var input = new MemoryStream(body);
            using Stream decoder = compression switch
            {
                NarCompression.Gzip => new GZipStream(input, CompressionMode.Decompress),
                NarCompression.Brotli => new BrotliStream(input, CompressionMode.Decompress),
                NarCompression.Zstd => new ZstdSharp.DecompressionStream(input),
                NarCompression.Xz => new SharpCompress.Compressors.Xz.XZStream(input),
                NarCompression.Bzip2 => SharpCompress.Compressors.BZip2.BZip2Stream.Create(input, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true),
                _ => throw new NotSupportedException(compression.ToString()),
            };
            using var output = new MemoryStream();
            decoder.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }
}
