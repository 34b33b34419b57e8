using System.Text;
using NarGuard.Core.NarInfos;
using Xunit;

namespace NarGuard.Core.Tests.NarInfos;

public class NarInfoRejectionTests
{
    private const string Valid = NarInfoRoundTripTests.NixCopyNarInfo;
    private const string StorePathLine = "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest\n";
    private const string UrlLine = "URL: nar/0242ss2svixvyp6q795bkzvgf5x0q8nsnmsqq3cslk8902msg09j.nar.xz\n";
    private const string CompressionLine = "Compression: xz\n";
    private const string FileHashLine = "FileHash: sha256:0242ss2svixvyp6q795bkzvgf5x0q8nsnmsqq3cslk8902msg09j\n";
    private const string FileSizeLine = "FileSize: 204\n";
    private const string NarHashLine = "NarHash: sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm\n";
    private const string NarSizeLine = "NarSize: 216\n";
    private const string ReferencesLine = "References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2 riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep\n";
    private const string DeriverLine = "Deriver: mkfk9d96b2p8bsl1am5n79h1vqcw72i7-ngtest.drv\n";

    /// <summary>(case, text, the reason expected in error).</summary>
    public static TheoryData<string, string, string> Malformed => new()
    {
        { "empty text", "", "missing StorePath" },
        { "missing StorePath", Without(StorePathLine), "missing StorePath" },
        { "missing URL", Without(UrlLine), "missing URL" },
        { "missing NarHash", Without(NarHashLine), "missing NarHash" },
        { "missing NarSize", Without(NarSizeLine), "missing NarSize" },
        { "empty URL", Swap(UrlLine, "URL: \n"), "empty URL" },
        // Nix: "NarSize missing or zero"; passing it on would be a hard error for the client, so it is a 404 here.
        { "zero NarSize", Swap(NarSizeLine, "NarSize: 0\n"), "NarSize is zero" },

        { "duplicate StorePath", Valid + StorePathLine, "duplicate key StorePath" },
        { "duplicate URL", Valid + UrlLine, "duplicate key URL" },
        { "duplicate Compression", Valid + CompressionLine, "duplicate key Compression" },
        { "duplicate FileHash", Valid + FileHashLine, "duplicate key FileHash" },
        { "duplicate FileSize", Valid + FileSizeLine, "duplicate key FileSize" },
        { "duplicate NarHash", Valid + NarHashLine, "duplicate key NarHash" },
        { "duplicate NarSize", Valid + NarSizeLine, "duplicate key NarSize" },
        { "duplicate References", Valid + "References: \n", "duplicate key References" },
        { "duplicate Deriver", Valid + DeriverLine, "duplicate key Deriver" },
        { "duplicate CA", Valid + "CA: text:sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm\nCA: text:sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm\n", "duplicate key CA" },
        { "duplicate System", Valid + "System: x86_64-linux\nSystem: aarch64-linux\n", "duplicate key System" },

        { "NarHash md5", Swap(NarHashLine, "NarHash: md5:3jgzhjhz9zjvbb0kyj7jc500ch\n"), "bad NarHash" },
        { "NarHash sha512", Swap(NarHashLine, "NarHash: sha512:2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk876blyk1jfhkbbyx\n"), "bad NarHash" },
        { "NarHash truncated", Swap(NarHashLine, "NarHash: sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypx\n"), "bad NarHash" },
        { "NarHash hex truncated", Swap(NarHashLine, "NarHash: sha256:b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca\n"), "bad NarHash" },
        { "NarHash padding bits", Swap(NarHashLine, "NarHash: sha256:2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"), "bad NarHash" },
        { "NarHash bare", Swap(NarHashLine, "NarHash: 196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm\n"), "bad NarHash" },
        { "NarHash empty", Swap(NarHashLine, "NarHash: \n"), "bad NarHash" },
        { "FileHash bad char", Swap(FileHashLine, "FileHash: sha256:0242ss2svixvyp6q795bkzvgf5x0q8nsnmsqq3cslk8902msg09e\n"), "bad FileHash" },

        { "NarSize negative", Swap(NarSizeLine, "NarSize: -1\n"), "bad NarSize" },
        { "NarSize plus sign", Swap(NarSizeLine, "NarSize: +216\n"), "bad NarSize" },
        { "NarSize text", Swap(NarSizeLine, "NarSize: abc\n"), "bad NarSize" },
        { "NarSize empty", Swap(NarSizeLine, "NarSize: \n"), "bad NarSize" },
        { "NarSize leading space", Swap(NarSizeLine, "NarSize:  216\n"), "bad NarSize" },
        { "NarSize trailing space", Swap(NarSizeLine, "NarSize: 216 \n"), "bad NarSize" },
        { "NarSize exponent", Swap(NarSizeLine, "NarSize: 2e3\n"), "bad NarSize" },
        { "NarSize thousands", Swap(NarSizeLine, "NarSize: 3,330,176\n"), "bad NarSize" },
        { "NarSize long overflow", Swap(NarSizeLine, "NarSize: 9223372036854775808\n"), "bad NarSize" },
        { "NarSize huge", Swap(NarSizeLine, "NarSize: 99999999999999999999999999999999\n"), "bad NarSize" },
        { "FileSize negative", Swap(FileSizeLine, "FileSize: -204\n"), "bad FileSize" },
        { "FileSize overflow", Swap(FileSizeLine, "FileSize: 18446744073709551616\n"), "bad FileSize" },

        { "line without colon-space", Swap(NarSizeLine, "NarSize:216\n"), "line 7 has no ': '" },
        { "line without colon", Valid + "garbage\n", "line 11 has no ': '" },
        { "blank line inside", Valid.Replace(NarSizeLine, NarSizeLine + "\n", StringComparison.Ordinal), "line 8 has no ': '" },
        { "blank line at end", Valid + "\n", "line 11 has no ': '" },
        { "empty key", Valid + ": value\n", "empty key at line 11" },
        { "NUL in a value", Swap(DeriverLine, "Deriver: mkfk9d96b2p8bsl1am5n79h1vqcw72i7-ngtest.drv\0\n"), "NUL character" },
        { "NUL in an unknown key", Valid + "X\0: y\n", "NUL character" },

        { "StorePath without hash", Swap(StorePathLine, "StorePath: /nix/store/ngtest\n"), "bad StorePath" },
        { "StorePath bad hash char", Swap(StorePathLine, "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87e-ngtest\n"), "bad StorePath" },
        { "StorePath empty name", Swap(StorePathLine, "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-\n"), "bad StorePath" },
        { "StorePath bad name char", Swap(StorePathLine, "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ng test\n"), "bad StorePath" },
        { "StorePath relative", Swap(StorePathLine, "StorePath: g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest\n"), "bad StorePath" },
        { "CR CR LF", Swap(StorePathLine, "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest\r\r\n"), "stray CR at line 1" },
        { "CR inside a value", Valid + "Sig: k:a\rb\n", "stray CR at line 11" },
        { "old Mac line ends", Valid.Replace("\n", "\r", StringComparison.Ordinal), "stray CR at line 1" },
        { "References bad entry", Swap(ReferencesLine, "References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2 /nix/store/riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep\n"), "bad References" },
        { "References short hash", Swap(ReferencesLine, "References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62l-ngdep2\n"), "bad References" },
        { "Deriver bad", Swap(DeriverLine, "Deriver: ngtest.drv\n"), "bad Deriver" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Rejects_with_a_short_reason(string @case, string text, string expectedError)
    {
        Assert.False(NarInfo.TryParse(text, out var info, out var error), @case);
        Assert.Null(info);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void Rejects_null_without_throwing()
    {
        Assert.False(NarInfo.TryParse(null!, out var info, out var error));
        Assert.Null(info);
        Assert.NotNull(error);
    }

    [Fact]
    public void Rejects_text_over_the_limit_in_characters()
    {
        // A valid narinfo followed by an unknown field that pushes it one byte over the limit.
        var text = Valid + "X: " + new string('a', NarInfo.MaxTextBytes - Valid.Length - 4) + "\n";
        Assert.Equal(NarInfo.MaxTextBytes, text.Length);
        Assert.True(NarInfo.TryParse(text, out _, out var okError), okError);

        Assert.False(NarInfo.TryParse(text + "Y: b\n", out var info, out var error));
        Assert.Null(info);
        Assert.Equal("narinfo too large", error);
    }

    [Fact]
    public void Rejects_text_over_the_limit_in_utf8_bytes()
    {
        // 600k 'é' are 600k UTF-16 units but 1.2 MB of UTF-8: the limit is in bytes, as on the wire.
        var text = Valid + "X: " + new string('\u00e9', 600_000) + "\n";
        Assert.True(text.Length < NarInfo.MaxTextBytes);
        Assert.False(NarInfo.TryParse(text, out _, out var error));
        Assert.Equal("narinfo too large", error);
    }

    // Built inside the test, not passed as theory data, so megabyte strings stay out of test names and discovery.
    [Theory]
    [InlineData("2 MiB random")]
    [InlineData("1 MiB random")]
    [InlineData("1 MiB one line")]
    [InlineData("1 MiB newlines")]
    [InlineData("1 MiB separators")]
    [InlineData("1 MiB spaces in References")]
    [InlineData("1 MiB of unknown fields")]
    [InlineData("1 MiB of Sig lines")]
    public void Junk_is_rejected_without_throwing(string @case)
    {
        string text = JunkFor(@case);
        bool ok = NarInfo.TryParse(text, out var info, out var error);

        Assert.False(ok, @case);
        Assert.Null(info);
        Assert.False(string.IsNullOrEmpty(error));
    }

    private static string JunkFor(string @case) => @case switch
    {
        "2 MiB random" => RandomText(2 * 1024 * 1024, 1),
        "1 MiB random" => RandomText(NarInfo.MaxTextBytes, 2),
        "1 MiB one line" => new string('a', NarInfo.MaxTextBytes),
        "1 MiB newlines" => new string('\n', NarInfo.MaxTextBytes),
        "1 MiB separators" => Repeat(": ", NarInfo.MaxTextBytes),
        "1 MiB spaces in References" => "References: " + new string(' ', NarInfo.MaxTextBytes - 20) + "\n",
        "1 MiB of unknown fields" => Repeat("X: y\n", NarInfo.MaxTextBytes),
        "1 MiB of Sig lines" => Repeat("Sig: k:v\n", NarInfo.MaxTextBytes),
        _ => throw new ArgumentOutOfRangeException(nameof(@case), @case, null),
    };

    private static string Repeat(string unit, int maxLength)
    {
        var builder = new StringBuilder(maxLength);
        while (builder.Length + unit.Length <= maxLength)
        {
            builder.Append(unit);
        }
        return builder.ToString();
    }

    private static string Without(string line) => Valid.Replace(line, "", StringComparison.Ordinal);

    private static string Swap(string line, string replacement) => Valid.Replace(line, replacement, StringComparison.Ordinal);

    private static string RandomText(int length, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(length);
        for (int k = 0; k < length; k++)
        {
            // Mostly printable ASCII with newlines, colons and spaces, so some lines look like fields.
            int roll = random.Next(100);
            builder.Append(roll switch
            {
                < 5 => '\n',
                < 10 => ':',
                < 20 => ' ',
                _ => (char)random.Next(0x21, 0x7f),
            });
        }
        return builder.ToString();
    }
}
