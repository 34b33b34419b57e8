using System.Text;
using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;
using Xunit;

namespace NarGuard.Core.Tests.Fuzz;

/// <summary>
/// Properties of the narinfo parser over generated and mutated texts: it never throws, allocates in proportion to its
/// input, accepts every well-formed narinfo, and parse → format → parse is the identity.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class NarInfoFuzzTests
{
    private const string Nix32 = "0123456789abcdfghijklmnpqrsvwxyz";

    private static string Hash(Random random, int length = 32) =>
        string.Create(length, random, static (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = Nix32[r.Next(32)]; });

    private static string Name(Random random)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=";
        var length = 1 + random.Next(40);
        return string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = chars[r.Next(chars.Length)];
            // Nix refuses names starting with '.'.
            if (span[0] == '.') span[0] = 'x';
        });
    }

    /// <summary>A well-formed narinfo with a random selection, order and encoding of fields.</summary>
    internal static string Generate(Random random)
    {
        var storeHash = Hash(random);
        var fields = new List<string>
        {
            $"StorePath: /nix/store/{storeHash}-{Name(random)}",
            $"URL: nar/{Hash(random, 52)}.nar{(random.Next(2) == 0 ? ".zst" : "")}",
            random.Next(3) switch
            {
                0 => $"NarHash: {new NixHash(RandomBytes(random, 32)).ToNix32String()}",
                1 => $"NarHash: sha256:{Convert.ToHexStringLower(RandomBytes(random, 32))}",
                _ => $"NarHash: sha256-{Convert.ToBase64String(RandomBytes(random, 32))}",
            },
            $"NarSize: {1 + random.NextInt64(long.MaxValue - 1)}",
        };
        if (random.Next(2) == 0) fields.Add("Compression: " + new[] { "zstd", "xz", "none", "bzip2", "br", "gzip", "lz4" }[random.Next(7)]);
        if (random.Next(2) == 0) fields.Add($"FileHash: {new NixHash(RandomBytes(random, 32)).ToNix32String()}");
        if (random.Next(2) == 0) fields.Add($"FileSize: {random.NextInt64(long.MaxValue)}");
        if (random.Next(2) == 0) fields.Add("References: " + string.Join(' ', Enumerable.Range(0, random.Next(20)).Select(_ => $"{Hash(random)}-{Name(random)}")));
        if (random.Next(2) == 0) fields.Add($"Deriver: {Hash(random)}-{Name(random)}.drv");
        for (var i = random.Next(4); i > 0; i--) fields.Add($"Sig: key-{i}:{Convert.ToBase64String(RandomBytes(random, 64))}");
        if (random.Next(3) == 0) fields.Add("System: x86_64-linux");
        if (random.Next(3) == 0) fields.Add($"X-Unknown-{random.Next(100)}: {Name(random)}");
        // Order is free in Nix: shuffle everything.
        var shuffled = fields.OrderBy(_ => random.Next()).ToList();
        return string.Join('\n', shuffled) + "\n";
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static bool Parse(string text, out NarInfo? info, out long allocated) => Parse(text, out info, out allocated, out _);

    private static bool Parse(string text, out NarInfo? info, out long allocated, out string? error)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok = NarInfo.TryParse(text, out info, out error);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return ok;
    }

    // Parsing keeps every field as strings plus lists: a generous constant factor of the input, never more.
    private static long Bound(string text) => 64 * 1024 + 16L * text.Length;

    private static void RoundTrip(NarInfo info, string context)
    {
        var formatted = info.Format();
        Assert.True(NarInfo.TryParse(formatted, out var again, out var error), $"{context}: formatted text does not parse: {error}\n{formatted}");
        Assert.Equal(formatted, again!.Format());
        Assert.Equal(info.Fields, again.Fields);
        Assert.Equal(info.NarSize, again.NarSize);
        Assert.Equal(info.NarHash.Bytes.ToArray(), again.NarHash.Bytes.ToArray());
    }

    [Fact]
    public void Generated_narinfos_parse_and_round_trip()
    {
        var cases = FuzzCases.Count(3000);
        for (var n = 0; n < cases; n++)
        {
            var text = Generate(FuzzCases.For(n));
            var context = $"seed {FuzzCases.Seed} case {n}";
            Assert.True(Parse(text, out var info, out var allocated, out var error), $"{context}: a well-formed narinfo was refused: {error}\n{text}");
            Assert.True(allocated <= Bound(text), $"{context}: {allocated} bytes allocated for {text.Length} chars");
            RoundTrip(info!, context);
        }
    }

    [Fact]
    public void Mutated_narinfos_never_throw_stay_bounded_and_round_trip_when_accepted()
    {
        var cases = FuzzCases.Count(3000);
        for (var n = 0; n < cases; n++)
        {
            var random = FuzzCases.For(n);
            var original = Encoding.UTF8.GetBytes(Generate(random));
            var (bytes, mutation) = Mutations.Apply(original, random);
            // Invalid UTF-8 is refused before the parser (UpstreamClient decodes strictly); replacement chars test the rest.
            var text = Encoding.UTF8.GetString(bytes);
            var context = $"seed {FuzzCases.Seed} case {n} ({mutation})";
            bool ok;
            NarInfo? info;
            long allocated;
            try
            {
                ok = Parse(text, out info, out allocated);
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"{context}: TryParse threw {ex}");
            }
            Assert.True(allocated <= Bound(text), $"{context}: {allocated} bytes allocated for {text.Length} chars");
            if (ok)
            {
                RoundTrip(info!, context);
            }
        }
    }

    [Fact]
    public void Random_text_never_throws_and_stays_bounded()
    {
        var cases = FuzzCases.Count(3000);
        const string alphabet = "StorePathURLNarHashSizeCompressionReferencesDeriverSig:\n\r\0 -/sha256abcdef0123456789\u00e9\uffff";
        for (var n = 0; n < cases; n++)
        {
            var random = FuzzCases.For(n);
            var length = random.Next(2) == 0 ? random.Next(200) : random.Next(20_000);
            var text = string.Create(length, random, (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = alphabet[r.Next(alphabet.Length)]; });
            var context = $"seed {FuzzCases.Seed} case {n}";
            try
            {
                Parse(text, out _, out var allocated);
                Assert.True(allocated <= Bound(text), $"{context}: {allocated} bytes allocated for {text.Length} chars");
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{context}: TryParse threw {ex}");
            }
        }
    }
}
