using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using Xunit;
using static NarGuard.Core.Tests.Verification.NarTestData;

namespace NarGuard.Core.Tests.Verification;

public class NarVerifierValidTests
{
    public static TheoryData<string> AllBodies()
    {
        var data = new TheoryData<string>();
        foreach (var body in Bodies)
        {
            data.Add(body.File);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllBodies))]
    public async Task Intact_body_is_valid_and_copied_byte_for_byte(string file)
    {
        var body = Read(file);
        var nar = NarOf(file);
        var copy = new MemoryStream();

        var result = await NarVerifier.VerifyAsync(new MemoryStream(body), Expect(file), copy, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
        Assert.Null(result.Detail);
        Assert.Equal(body.LongLength, result.CompressedBytes);
        Assert.Equal(nar.LongLength, result.NarBytes);
        Assert.Equal(Sha256(nar).ToNix32(), result.ActualNarHash);
        Assert.Equal(body, copy.ToArray());
    }

    [Theory]
    [MemberData(nameof(AllBodies))]
    public async Task Intact_body_in_small_asynchronous_pieces_is_valid(string file)
    {
        // 1000-byte pieces that complete asynchronously: every decoder must carry state across reads, and the
        // xz container must find headers, checks and indexes split across pieces.
        var body = Read(file);
        var copy = new MemoryStream();
        var source = new ScriptedBody(body) { MaxChunk = 1000, YieldEachRead = true };

        var result = await NarVerifier.VerifyAsync(source, Expect(file, withFileFields: true), copy, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
        Assert.Equal(body, copy.ToArray());
    }

    [Theory]
    [InlineData("fixture.nar.xz")]
    [InlineData("fixture.multistream.nar.xz")]
    [InlineData("small.blocks.nar.xz")]
    [InlineData("fixture.nar.br")]
    [InlineData("fixture.multiframe.nar.zst")]
    public async Task Intact_body_one_byte_at_a_time_is_valid(string file)
    {
        var result = await NarVerifier.VerifyAsync(new ScriptedBody(Read(file)) { MaxChunk = 1 }, Expect(file), null, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
    }

    [Theory]
    [InlineData("fixture.nar", true)]
    [InlineData("fixture.nar.zst", true)]
    [InlineData("fixture.nar.xz", true)]
    [InlineData("fixture.nar", false)]
    public async Task FileSize_and_FileHash_are_checked_when_present(string file, bool present)
    {
        var result = await NarVerifier.VerifyAsync(new MemoryStream(Read(file)), Expect(file, withFileFields: present), null, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
    }

    [Theory]
    [InlineData("ngtest.xz.narinfo", "ngtest.nar.xz")]
    [InlineData("ngtest.zstd.narinfo", "ngtest.nar.zst")]
    public async Task Cache_written_by_nix_copy_verifies_against_its_own_narinfo(string narinfo, string nar)
    {
        // FileHash, FileSize and NarHash as Nix itself wrote them (nix32), parsed by the real narinfo parser.
        Assert.True(NarInfo.TryParse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "Nar", "nix-copy", narinfo)), out var info, out var error), error);
        var expected = NarExpectation.From(info!);
        Assert.NotNull(expected.FileHash);

        var result = await NarVerifier.VerifyAsync(new MemoryStream(Read("nix-copy/" + nar)), expected, null, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
        Assert.Equal(info!.NarHash.ToNix32(), result.ActualNarHash);
    }

    [Fact]
    public async Task Xz_streams_separated_by_stream_padding_are_valid()
    {
        // The xz format allows zero bytes, four at a time, between and after streams (xz -d accepts this).
        var one = Read("small.crc32.nar.xz");
        var two = Read("small.sha256.nar.xz");
        byte[] body = [.. one, 0, 0, 0, 0, .. two, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] nar = [.. SmallNar, .. SmallNar];

        var result = await NarVerifier.VerifyAsync(new MemoryStream(body),
            new NarExpectation(NarCompression.Xz, Sha256(nar), nar.Length), null, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
        Assert.Equal(body.Length, result.CompressedBytes);
    }

    [Fact]
    public async Task Several_megabytes_of_independently_compressed_zstd_frames_are_valid()
    {
        // As Attic stores a big NAR: chunks compressed one by one, frames concatenated as they are.
        var nar = NarLikeData.Generate(6 * 1024 * 1024 + 12345, seed: 7);
        var body = NarLikeData.ZstdFrames(nar, frameSize: 256 * 1024 + 17);
        var copy = new MemoryStream();

        var result = await NarVerifier.VerifyAsync(new ScriptedBody(body) { MaxChunk = 50_000, YieldEachRead = true },
            new NarExpectation(NarCompression.Zstd, Sha256(nar), nar.Length, Sha256(body), body.Length), copy, CancellationToken.None);

        Assert.True(result.IsValid, result.Detail);
        Assert.Equal(nar.Length, result.NarBytes);
        Assert.Equal(body, copy.ToArray());
    }

    [Fact]
    public async Task Unsupported_compression_is_rejected_without_reading_the_body()
    {
        var source = new ScriptedBody(Read("fixture.nar.zst"));

        var result = await NarVerifier.VerifyAsync(source,
            new NarExpectation(NarCompression.Unsupported, Sha256(FixtureNar), FixtureNar.Length), null, CancellationToken.None);

        Assert.Equal(RejectReason.UnsupportedCompression, result.Reason);
        Assert.Equal(0, source.Reads);
    }
}
