using NarGuard.Core.NarInfos;
using Xunit;

namespace NarGuard.Core.Tests.NarInfos;

public class NarInfoMutationTests
{
    // Characters that matter to the scanner, plus some it must merely survive (a lone surrogate, non-ASCII).
    private const string Alphabet = "\n\r\0: -/abcz019=+\u00e9\ud800";

    [Fact]
    public void Mutated_narinfos_never_throw_and_whatever_parses_formats_to_a_fixed_point()
    {
        var random = new Random(7);
        string[] seeds = [NarInfoRoundTripTests.AtticNarInfo, NarInfoRoundTripTests.NixCopyNarInfo, NarInfoRoundTripTests.CacheNixosOrgNarInfo];
        int parsed = 0;
        for (int round = 0; round < 5000; round++)
        {
            var chars = new List<char>(seeds[round % seeds.Length]);
            int edits = 1 + random.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(chars.Count);
                char c = Alphabet[random.Next(Alphabet.Length)];
                switch (random.Next(3))
                {
                    case 0: chars[at] = c; break;
                    case 1: chars.Insert(at, c); break;
                    default: chars.RemoveAt(at); break;
                }
            }
            string text = new(chars.ToArray());

            if (!NarInfo.TryParse(text, out var info, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                continue;
            }
            parsed++;
            // What the proxy would send on must itself parse, to the same fields: Format is a fixed point.
            string formatted = info!.Format();
            Assert.True(NarInfo.TryParse(formatted, out var again, out var againError), againError);
            Assert.Equal(formatted, again!.Format());
            Assert.Equal(info.NarHash, again.NarHash);
            Assert.Equal(info.NarSize, again.NarSize);
            Assert.Equal(info.StorePath, again.StorePath);
        }
        // Many single-character edits land in values that stay valid (a Sig, a name); make sure those ran too.
        Assert.InRange(parsed, 100, 4900);
    }
}
