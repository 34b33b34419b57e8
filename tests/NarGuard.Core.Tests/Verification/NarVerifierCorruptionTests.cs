using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using Xunit;
using static NarGuard.Core.Tests.Verification.NarTestData;

namespace NarGuard.Core.Tests.Verification;

public class NarVerifierCorruptionTests
{
    private static readonly RejectReason[] BadData =
        [RejectReason.DecompressError, RejectReason.HashMismatch, RejectReason.SizeMismatch, RejectReason.Truncated];

    public static TheoryData<string> Strict()
    {
        var data = new TheoryData<string>();
        foreach (var file in StrictBodies)
        {
            data.Add(file);
        }
        return data;
    }

    private static Task<VerificationResult> Verify(byte[] body, NarExpectation expected) =>
        NarVerifier.VerifyAsync(new MemoryStream(body), expected, null, CancellationToken.None).AsTask();

    [Theory]
    [MemberData(nameof(Strict))]
    public async Task Empty_body_is_Empty(string file)
    {
        var result = await Verify([], Expect(file));

        Assert.Equal(RejectReason.Empty, result.Reason);
        Assert.Equal(0, result.CompressedBytes);
    }

    [Theory]
    [MemberData(nameof(Strict))]
    public async Task Body_cut_anywhere_is_Truncated(string file)
    {
        var body = Read(file);
        foreach (int keep in new[] { 1, 2, 12, body.Length / 3, body.Length / 2, body.Length - 13, body.Length - 4, body.Length - 1 })
        {
            var result = await Verify(body[..keep], Expect(file));

            Assert.False(result.IsValid, $"cut at {keep}");
            Assert.True(result.Reason == RejectReason.Truncated, $"cut at {keep}: {result.Reason} {result.Detail}");
            Assert.Equal(keep, result.CompressedBytes);
        }
    }

    [Theory]
    [InlineData("fixture.multiframe.nar.zst")]
    [InlineData("fixture.multistream.nar.xz")]
    public async Task Body_cut_exactly_between_two_chunks_is_Truncated(string file)
    {
        // The decoder ends cleanly at a frame/stream boundary here; only NarSize shows the NAR is incomplete.
        var body = Read(file);
        var magic = CompressionOf(file) == NarCompression.Zstd ? ZstdMagic : XzMagic;
        int second = IndexOf(body, magic, 1);
        int third = IndexOf(body, magic, second + 1);
        foreach (int keep in new[] { second, third })
        {
            var result = await Verify(body[..keep], Expect(file));

            Assert.Equal(RejectReason.Truncated, result.Reason);
            Assert.Contains($"expected NarSize {FixtureNar.Length}, got {result.NarBytes}", result.Detail);
        }
    }

    [Theory]
    [InlineData("fixture.multistream.nar.bz2")]
    [InlineData("fixture.multimember.nar.gz")]
    public async Task Best_effort_formats_reject_a_body_cut_in_the_middle(string file)
    {
        var body = Read(file);
        foreach (int keep in new[] { 1, 12, body.Length / 2 })
        {
            var result = await Verify(body[..keep], Expect(file));

            Assert.False(result.IsValid, $"cut at {keep}");
        }
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.multiframe.nar.zst")]
    [InlineData("fixture.nar.xz")]
    [InlineData("fixture.multistream.nar.xz")]
    [InlineData("fixture.multistream.nar.bz2")]
    [InlineData("fixture.nar.br")]
    [InlineData("fixture.nar")]
    public async Task One_flipped_byte_is_rejected(string file)
    {
        var body = Read(file);
        foreach (int offset in new[] { 0, 5, 20, body.Length / 3, body.Length / 2, body.Length * 2 / 3 })
        {
            var corrupt = (byte[])body.Clone();
            corrupt[offset] ^= 0x55;

            var result = await Verify(corrupt, Expect(file));

            Assert.False(result.IsValid, $"flip at {offset}");
            Assert.Contains(result.Reason!.Value, BadData);
        }
    }

    [Theory]
    [InlineData("small.blocks.nar.xz")]
    [InlineData("small.crc32.nar.xz")]
    [InlineData("small.sha256.nar.xz")]
    [InlineData("small.nocheck.nar.xz")]
    [InlineData("fixture.multistream.nar.xz")]
    [InlineData("small.x86.nar.xz")]
    public async Task Every_flipped_byte_in_the_xz_head_and_tail_is_rejected(string file)
    {
        // Head: stream header, block header, LZMA2 chunk header and the range coder's first byte (always zero).
        // Tail: block check, index and footer. SharpCompress's XZStream ignores corruption in the range coder's first
        // byte, the check and the index; liblzma in the client does not, so the verifier must not either.
        var body = Read(file);
        var offsets = Enumerable.Range(0, 40).Concat(Enumerable.Range(body.Length - 80, 80));
        foreach (int offset in offsets)
        {
            var corrupt = (byte[])body.Clone();
            corrupt[offset] ^= 0x01;

            var result = await Verify(corrupt, Expect(file));

            Assert.False(result.IsValid, $"flip at {offset} of {body.Length}");
        }
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.multistream.nar.xz")]
    [InlineData("fixture.multistream.nar.bz2")]
    [InlineData("fixture.nar.br")]
    public async Task Trailing_garbage_is_DecompressError_and_still_copied(string file)
    {
        byte[] body = [.. Read(file), .. "<html>502 Bad Gateway</html>"u8];
        var copy = new MemoryStream();

        var result = await NarVerifier.VerifyAsync(new MemoryStream(body), Expect(file), copy, CancellationToken.None);

        Assert.Equal(RejectReason.DecompressError, result.Reason);
        Assert.Equal(body, copy.ToArray());
    }

    [Fact]
    public async Task Xz_stream_padding_that_is_not_four_zero_bytes_is_rejected()
    {
        foreach (var tail in new byte[][] { [0], [0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1] })
        {
            var result = await Verify([.. Read("fixture.nar.xz"), .. tail], Expect("fixture.nar.xz"));

            Assert.False(result.IsValid, $"{tail.Length} padding bytes");
        }
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.nar.xz")]
    [InlineData("fixture.nar")]
    public async Task NarSize_too_small_is_SizeMismatch_and_reading_stops(string file)
    {
        var expected = Expect(file) with { NarSize = 1000 };

        var result = await Verify(Read(file), expected);

        Assert.Equal(RejectReason.SizeMismatch, result.Reason);
        Assert.Equal(1001, result.NarBytes);
        Assert.Null(result.ActualNarHash);
        Assert.Contains("expected NarSize 1000", result.Detail);
    }

    [Fact]
    public async Task Decompression_bomb_is_cut_off_at_NarSize()
    {
        // Hundreds of MiB of zeros in little zstd; the narinfo claims 1 MiB. The verifier must stop at 1 MiB + 1
        // instead of inflating the rest (the allocation bound shows nothing grows with the output either).
        var zeros = new byte[1024 * 1024];
        var frame = NarLikeData.ZstdFrames(zeros, zeros.Length, level: 19);
        int frames = Math.Max(256, 4 * NarVerifier.BufferSize / frame.Length + 16);
        var body = Enumerable.Repeat(frame, frames).SelectMany(f => f).ToArray();
        var source = new ScriptedBody(body);

        var result = await NarVerifier.VerifyAsync(source,
            new NarExpectation(NarCompression.Zstd, Sha256(zeros), zeros.Length), null, CancellationToken.None);

        Assert.Equal(RejectReason.SizeMismatch, result.Reason);
        Assert.Equal(zeros.Length + 1, result.NarBytes);
        Assert.True(source.Delivered < body.Length, $"read {source.Delivered} of {body.Length}");
    }

    [Theory]
    [InlineData("fixture.nar.zst")]
    [InlineData("fixture.multistream.nar.xz")]
    [InlineData("fixture.nar")]
    public async Task NarSize_too_large_is_Truncated(string file)
    {
        var expected = Expect(file) with { NarSize = FixtureNar.Length + 1 };

        var result = await Verify(Read(file), expected);

        Assert.Equal(RejectReason.Truncated, result.Reason);
        Assert.Equal($"expected NarSize {FixtureNar.Length + 1}, got {FixtureNar.Length}", result.Detail);
    }

    [Theory]
    [InlineData("fixture.multiframe.nar.zst")]
    [InlineData("fixture.nar.xz")]
    public async Task Wrong_NarHash_is_HashMismatch_with_both_hashes(string file)
    {
        var wrong = Sha256("not this nar"u8);
        var expected = Expect(file) with { NarHash = wrong };

        var result = await Verify(Read(file), expected);

        Assert.Equal(RejectReason.HashMismatch, result.Reason);
        Assert.Equal(Sha256(FixtureNar).ToNix32(), result.ActualNarHash);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(wrong.Bytes), result.Detail);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(Sha256(FixtureNar).Bytes), result.Detail);
        Assert.DoesNotContain("http", result.Detail);
    }

    [Fact]
    public async Task Wrong_FileSize_is_SizeMismatch()
    {
        var body = Read("fixture.nar.zst");
        var expected = Expect("fixture.nar.zst", withFileFields: true) with { FileSize = body.Length + 1 };

        var result = await Verify(body, expected);

        Assert.Equal(RejectReason.SizeMismatch, result.Reason);
        Assert.Equal($"expected FileSize {body.Length + 1}, got {body.Length}", result.Detail);
    }

    [Fact]
    public async Task Wrong_FileHash_is_HashMismatch()
    {
        var expected = Expect("fixture.nar.xz", withFileFields: true) with { FileHash = Sha256("other file"u8) };

        var result = await Verify(Read("fixture.nar.xz"), expected);

        Assert.Equal(RejectReason.HashMismatch, result.Reason);
        Assert.StartsWith("expected FileHash sha256:", result.Detail);
    }

    [Fact]
    public async Task Wrong_compression_in_the_narinfo_is_DecompressError()
    {
        var expected = Expect("fixture.nar.zst") with { Compression = NarCompression.Xz };

        var result = await Verify(Read("fixture.nar.zst"), expected);

        Assert.Equal(RejectReason.DecompressError, result.Reason);
    }
}
