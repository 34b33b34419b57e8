using System.Diagnostics;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using Xunit;
using Xunit.Abstractions;
using static NarGuard.Core.Tests.Verification.NarTestData;

namespace NarGuard.Core.Tests.Verification;

/// <summary>
/// Memory must not grow with the NAR: a 64 MiB NAR is verified with a bounded number of allocated bytes. This is an
/// allocation bound, not a timing; the throughput is only written to the test output.
/// </summary>
public class NarVerifierAllocationTests(ITestOutputHelper output)
{
    private const int NarLength = 64 * 1024 * 1024;
    private const long AllocationBound = 4 * 1024 * 1024;

    private static readonly Lazy<(byte[] Nar, byte[] Zstd)> Input = new(() =>
    {
        var nar = NarLikeData.Generate(NarLength, seed: 64);
        return (nar, NarLikeData.ZstdFrames(nar, frameSize: 1024 * 1024));
    });

    [Theory]
    [InlineData(NarCompression.Zstd)]
    [InlineData(NarCompression.None)]
    public async Task A_64_MiB_NAR_is_verified_with_bounded_allocations(NarCompression compression)
    {
        var (nar, zstd) = Input.Value;
        var body = compression == NarCompression.Zstd ? zstd : nar;
        var expected = new NarExpectation(compression, Sha256(nar), nar.Length, Sha256(body), body.Length);

        // Warm up: JIT, the array pool, the zstd context.
        Assert.True((await NarVerifier.VerifyAsync(new MemoryStream(Read("fixture.nar.zst")), Expect("fixture.nar.zst"), Stream.Null, default)).IsValid);

        var source = new MemoryStream(body);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var result = await NarVerifier.VerifyAsync(source, expected, Stream.Null, CancellationToken.None);
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(result.IsValid, result.Detail);
        output.WriteLine($"{compression}: {body.Length} compressed bytes, {nar.Length} NAR bytes in {clock.ElapsedMilliseconds} ms " +
            $"({nar.Length / 1048576.0 / clock.Elapsed.TotalSeconds:0} MiB/s of NAR), {allocated} bytes allocated");
        Assert.True(allocated < AllocationBound, $"{allocated} bytes allocated verifying {nar.Length} bytes");
    }
}
