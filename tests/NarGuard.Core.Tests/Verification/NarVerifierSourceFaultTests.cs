using System.Net.Http;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using Xunit;
using static NarGuard.Core.Tests.Verification.NarTestData;

namespace NarGuard.Core.Tests.Verification;

public class NarVerifierSourceFaultTests
{
    public static TheoryData<string> Files() => new()
    {
        "fixture.nar", "fixture.nar.zst", "fixture.multiframe.nar.zst", "fixture.nar.xz", "fixture.multistream.nar.xz",
        "fixture.multistream.nar.bz2", "fixture.nar.br", "fixture.multimember.nar.gz",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Connection_reset_before_the_first_byte_is_Empty(string file)
    {
        var source = new ScriptedBody(Read(file)) { FailAt = 0 };

        var result = await NarVerifier.VerifyAsync(source, Expect(file), new MemoryStream(), CancellationToken.None);

        Assert.Equal(RejectReason.Empty, result.Reason);
        Assert.Equal(0, result.CompressedBytes);
        Assert.Contains("IOException", result.Detail);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Connection_reset_on_a_later_read_is_Truncated(string file)
    {
        // The decoder sees the exception too (some wrap it); the tap knows it came from the source.
        var body = Read(file);
        var source = new ScriptedBody(body) { MaxChunk = 4096, FailAt = body.Length / 2 };
        var copy = new MemoryStream();

        var result = await NarVerifier.VerifyAsync(source, Expect(file), copy, CancellationToken.None);

        Assert.Equal(RejectReason.Truncated, result.Reason);
        Assert.Equal(body.Length / 2, result.CompressedBytes);
        Assert.Equal(body.AsSpan(0, body.Length / 2).ToArray(), copy.ToArray());
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.nar.xz")]
    [InlineData("fixture.nar.br")]
    public async Task Chunked_body_cut_off_is_Truncated(string file)
    {
        var body = Read(file);
        var source = new ScriptedBody(body)
        {
            YieldEachRead = true,
            FailAt = 10_000,
            Failure = new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
        };

        var result = await NarVerifier.VerifyAsync(source, Expect(file), null, CancellationToken.None);

        Assert.Equal(RejectReason.Truncated, result.Reason);
        Assert.Contains("HttpIOException", result.Detail);
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.multistream.nar.xz")]
    [InlineData("fixture.nar.br")]
    public async Task Connection_reset_after_the_whole_body_but_before_its_end_is_Truncated(string file)
    {
        // Every compressed byte arrived, but the body never ended cleanly: nothing says no more bytes were coming.
        var body = Read(file);
        var source = new ScriptedBody(body) { FailAt = body.Length };

        var result = await NarVerifier.VerifyAsync(source, Expect(file), null, CancellationToken.None);

        Assert.Equal(RejectReason.Truncated, result.Reason);
    }

    [Fact]
    public async Task HttpClient_timeout_from_the_source_is_Timeout()
    {
        var source = new ScriptedBody(Read("fixture.nar.zst"))
        {
            FailAt = 5000,
            Failure = new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout",
                new TimeoutException("The operation was canceled.")),
        };

        var result = await NarVerifier.VerifyAsync(source, Expect("fixture.nar.zst"), null, CancellationToken.None);

        Assert.Equal(RejectReason.Timeout, result.Reason);
    }

    [Theory]
    [InlineData("fixture.nar.zst", 0)]
    [InlineData("fixture.nar.zst", 9000)]
    [InlineData("fixture.multistream.nar.xz", 9000)]
    [InlineData("fixture.multistream.nar.bz2", 9000)]
    public async Task Stalled_body_behind_the_stall_guard_is_Timeout(string file, int stallAt)
    {
        var source = new ScriptedBody(Read(file)) { StallAt = stallAt, MaxChunk = 3000 };
        await using var guarded = new StallGuardStream(source, TimeSpan.FromMilliseconds(200));

        var result = await NarVerifier.VerifyAsync(guarded, Expect(file), null, CancellationToken.None);

        Assert.Equal(RejectReason.Timeout, result.Reason);
        Assert.Equal(stallAt, result.CompressedBytes);
        Assert.Contains("no byte for 0.2s", result.Detail);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200_000)]
    public async Task Spool_write_failure_is_SpoolError(long capacity)
    {
        var nar = NarLikeData.Generate(2 * 1024 * 1024, seed: 3);
        var body = NarLikeData.ZstdFrames(nar, 300_000);
        var expected = new NarExpectation(NarCompression.Zstd, Sha256(nar), nar.Length);

        var result = await NarVerifier.VerifyAsync(new MemoryStream(body), expected, new FullDiskStream(capacity), CancellationToken.None);

        Assert.Equal(RejectReason.SpoolError, result.Reason);
        Assert.Contains("No space left on device", result.Detail);
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.nar.xz")]
    [InlineData("fixture.multistream.nar.bz2")]
    [InlineData("fixture.nar")]
    public async Task Caller_cancellation_mid_body_throws_OperationCanceledException(string file)
    {
        using var cts = new CancellationTokenSource();
        var source = new ScriptedBody(Read(file)) { MaxChunk = 2000, CallbackAt = 6000, Callback = cts.Cancel };

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => NarVerifier.VerifyAsync(source, Expect(file), null, cts.Token).AsTask());

        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task Caller_cancellation_while_the_upstream_stalls_is_not_a_Timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var source = new ScriptedBody(Read("fixture.nar.zst")) { StallAt = 100 };
        await using var guarded = new StallGuardStream(source, TimeSpan.FromSeconds(30));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => NarVerifier.VerifyAsync(guarded, Expect("fixture.nar.zst"), null, cts.Token).AsTask());
    }

    [Fact]
    public async Task Already_cancelled_token_throws_before_reading()
    {
        var source = new ScriptedBody(Read("fixture.nar.zst"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => NarVerifier.VerifyAsync(source, Expect("fixture.nar.zst"), null, new CancellationToken(canceled: true)).AsTask());
        Assert.Equal(0, source.Reads);
    }
}
