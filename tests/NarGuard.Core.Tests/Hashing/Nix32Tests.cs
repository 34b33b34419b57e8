using System.Numerics;
using NarGuard.Core.Hashing;
using Xunit;

namespace NarGuard.Core.Tests.Hashing;

public class Nix32Tests
{
    // Every expected string below was printed by the real Nix 2.8 tools, never by this code:
    //   nix-hash --type <algo> --flat FILE            (hex)
    //   nix-hash --type <algo> --flat --base32 FILE   (nix32)
    // with FILE holding "" (empty), "abc", or 1000 'x' characters.
    public static TheoryData<string, string> KnownVectors => new()
    {
        // sha256("")
        { "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73" },
        // sha256("abc")
        { "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s" },
        // sha256 of 1000 'x'
        { "44f8354494a5ba03ba1792a8d3e9c534c47a9181980fde7a3f44b06ef2ae7c7f", "0zvwmvr6xc247xxdw3wqh68pmi1lqplx7a4j2yx07fm5ji23by24" },
        // NAR hash of a store path built here: nix-hash --type sha256 [--base32] /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest
        { "b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca4", "196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm" },
        // nix-hash --type sha256 --to-base32 <hex> for the edge patterns
        { "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" },
        { "0000000000000000000000000000000000000000000000000000000000000001", "0080000000000000000000000000000000000000000000000000" },
        { "8000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000040" },
        // sha1("") and sha1("abc"): 20 bytes, the size of a store path hash
        { "da39a3ee5e6b4b0d3255bfef95601890afd80709", "143xibwh31h9bvxzalr0sjvbbvpa6ffs" },
        { "a9993e364706816aba3e25717850c26c9cd0d89d", "kpcd173cq987hw957sx6m0868wv3x6d9" },
        // md5("") and md5("abc"): 16 bytes
        { "d41d8cd98f00b204e9800998ecf8427e", "3y8bwfr609h3lh9ch0izcqq7fl" },
        { "900150983cd24fb0d6963f7d28e17f72", "3jgzhjhz9zjvbb0kyj7jc500ch" },
        // sha512("abc"): 64 bytes
        {
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk876blyk1jfhkbbyx"
        },
    };

    [Theory]
    [MemberData(nameof(KnownVectors))]
    public void Encode_matches_nix_hash(string hex, string nix32)
    {
        Assert.Equal(nix32, Nix32.Encode(Convert.FromHexString(hex)));
    }

    [Theory]
    [MemberData(nameof(KnownVectors))]
    public void TryDecode_matches_nix_hash(string hex, string nix32)
    {
        var bytes = new byte[hex.Length / 2];
        Assert.True(Nix32.TryDecode(nix32, bytes));
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2)]
    [InlineData(16, 26)]
    [InlineData(20, 32)]
    [InlineData(32, 52)]
    [InlineData(64, 103)]
    public void EncodedLength_is_nix_base32Len(int bytes, int chars)
    {
        Assert.Equal(chars, Nix32.EncodedLength(bytes));
    }

    [Fact]
    public void Empty_input_encodes_to_empty_text()
    {
        Assert.Equal("", Nix32.Encode([]));
        Assert.True(Nix32.TryDecode("", []));
    }

    [Fact]
    public void Random_bytes_round_trip_and_agree_with_a_big_integer_reference()
    {
        var random = new Random(20260608);
        for (int length = 1; length <= 70; length++)
        {
            for (int round = 0; round < 20; round++)
            {
                var bytes = new byte[length];
                random.NextBytes(bytes);
                string text = Nix32.Encode(bytes);
                Assert.Equal(ReferenceEncode(bytes), text);
                var back = new byte[length];
                Assert.True(Nix32.TryDecode(text, back));
                Assert.Equal(bytes, back);
            }
        }
    }

    [Fact]
    public void Padding_bits_beyond_the_last_byte_are_rejected()
    {
        // nix hash to-base16 sha256:2zzz... answers "invalid base-32 hash": 52 digits carry 260 bits, a digest has 256.
        var bytes = new byte[32];
        Assert.False(Nix32.TryDecode("2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", bytes));
        Assert.True(Nix32.TryDecode("1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", bytes));
        // A 20-byte hash fills 32 digits exactly; a 16-byte one leaves 2 spare bits in 26 digits. Checked with
        // nix hash to-base16 sha1:zzz... (ok), md5:7zzz... (ok) and md5:8zzz... ("invalid base-32 hash").
        Assert.True(Nix32.TryDecode("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", new byte[20]));
        Assert.True(Nix32.TryDecode("7zzzzzzzzzzzzzzzzzzzzzzzzz", new byte[16]));
        Assert.False(Nix32.TryDecode("8zzzzzzzzzzzzzzzzzzzzzzzzz", new byte[16]));
    }

    [Theory]
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e")] // e is not in the alphabet
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7o")]
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7u")]
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7t")]
    [InlineData("0MDQA9W1P6CMLI6976V4WI0SW9R4P5PRKJ7LZFD1877WK11C9C73")] // case-sensitive, like Nix
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7\u00e9")]
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7 ")]
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7")] // 51 characters
    [InlineData("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c733")] // 53 characters
    [InlineData("")]
    public void TryDecode_rejects_bad_text(string text)
    {
        Assert.False(Nix32.TryDecode(text, new byte[32]));
    }

    [Fact]
    public void TryDecode_overwrites_stale_destination_bytes()
    {
        var bytes = new byte[32];
        Array.Fill(bytes, (byte)0xAA);
        Assert.True(Nix32.TryDecode("0000000000000000000000000000000000000000000000000000", bytes));
        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("0123456789abcdfghijklmnpqrsvwxyz", true)]
    [InlineData("", true)]
    [InlineData("abcde", false)]
    [InlineData("A", false)]
    [InlineData("\u0100", false)]
    public void IsNix32_checks_the_alphabet_only(string text, bool expected)
    {
        Assert.Equal(expected, Nix32.IsNix32(text));
    }

    // An independent reading of the format: the bytes are one little-endian integer, written in base 32 with the
    // most significant digit first.
    private static string ReferenceEncode(byte[] bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: false);
        int length = Nix32.EncodedLength(bytes.Length);
        var chars = new char[length];
        for (int k = 0; k < length; k++)
        {
            chars[length - 1 - k] = Nix32.Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }
}
