using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using Xunit;

namespace NarGuard.Core.Tests.Verification;

/// <summary>Re-encoding real committed bodies: every output verifies against the same NarHash/NarSize in its new compression.</summary>
public sealed class NarTranscoderTests
{
    public static TheoryData<string, NarCompression> Pairs()
    {
        var data = new TheoryData<string, NarCompression>();
        foreach (var (file, from, _) in NarTestData.Bodies)
        {
            foreach (var to in new[] { NarCompression.None, NarCompression.Zstd, NarCompression.Brotli, NarCompression.Gzip })
            {
                if (to != from)
                {
                    data.Add(file, to);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task A_body_reencoded_into_another_compression_verifies_as_the_same_NAR(string file, NarCompression to)
    {
        var from = NarTestData.CompressionOf(file);
        var output = new MemoryStream();

        await NarTranscoder.TranscodeAsync(new MemoryStream(NarTestData.Read(file)), from, to, output, CancellationToken.None);

        var expected = NarTestData.Expect(file);
        var result = await NarVerifier.VerifyAsync(new MemoryStream(output.ToArray()), new NarExpectation(to, expected.NarHash, expected.NarSize, null, null), null, CancellationToken.None);
        Assert.True(result.IsValid, result.Detail);
    }

    [Theory]
    [InlineData(NarCompression.Zstd, NarCompression.Xz)]
    [InlineData(NarCompression.Xz, NarCompression.Bzip2)]
    [InlineData(NarCompression.Zstd, NarCompression.Zstd)]
    public void Compressions_NarGuard_cannot_write_are_refused(NarCompression from, NarCompression to) =>
        Assert.False(NarTranscoder.CanTranscode(from, to));

    [Fact]
    public async Task A_cut_body_fails_the_transcoding_instead_of_ending_cleanly()
    {
        var body = NarTestData.Read("fixture.nar.xz");
        var cut = body[..(body.Length / 2)];

        await Assert.ThrowsAnyAsync<Exception>(() => NarTranscoder.TranscodeAsync(new MemoryStream(cut), NarCompression.Xz, NarCompression.Zstd, new MemoryStream(), CancellationToken.None));
    }
}
