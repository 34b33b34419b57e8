using NarGuard.Core.Hashing;
using Xunit;

namespace NarGuard.Core.Tests.Hashing;

public class NixHashTests
{
    // One NAR hash in every spelling, all printed by the Nix 2.8 tools for
    // /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest (a derivation built here with builder = "/bin/sh"):
    //   nix-hash --type sha256 PATH                               -> Hex
    //   nix-hash --type sha256 --base32 PATH                      -> Nix32
    //   nix hash to-sri sha256:<Nix32>                            -> Sri
    //   nix hash to-base64 sha256:<Nix32>                         -> Base64
    private const string Hex = "b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca4";
    private const string Nix32Text = "196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm";
    private const string Sri = "sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKQ=";
    private const string Base64 = "tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKQ=";

    public static TheoryData<string> EverySpelling => new()
    {
        "sha256:" + Nix32Text,
        "sha256:" + Hex,
        "sha256:" + Hex.ToUpperInvariant(),
        "sha256:" + Base64,
        Sri,
        // Nix accepts SRI without its '=' (nix hash to-base16 sha256-tV8v...MzKQ prints the same hex).
        Sri.TrimEnd('='),
        // ...and ignores the two spare bits of the last base64 digit (nix hash to-base16 sha256-tV8v...MzKR= likewise).
        "sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKR=",
    };

    [Theory]
    [MemberData(nameof(EverySpelling))]
    public void Every_spelling_parses_to_the_same_digest(string text)
    {
        Assert.True(NixHash.TryParse(text, out var hash));
        Assert.NotNull(hash);
        Assert.Equal(Hex, Convert.ToHexStringLower(hash.Bytes));
    }

    [Fact]
    public void Formatters_write_what_nix_writes()
    {
        Assert.True(NixHash.TryParse("sha256:" + Hex, out var hash));
        Assert.Equal("sha256:" + Nix32Text, hash!.ToNix32String());
        Assert.Equal("sha256:" + Hex, hash.ToHexString());
        Assert.Equal(Sri, hash.ToSriString());
        Assert.Equal(Nix32Text, hash.ToNix32());
        Assert.Equal("sha256:" + Nix32Text, hash.ToString());
    }

    [Theory]
    // sha256 of "", "abc" and 1000 'x': nix-hash --type sha256 --flat [--base32] FILE; nix hash file --sri --type sha256 FILE
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s", "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")]
    [InlineData("44f8354494a5ba03ba1792a8d3e9c534c47a9181980fde7a3f44b06ef2ae7c7f", "0zvwmvr6xc247xxdw3wqh68pmi1lqplx7a4j2yx07fm5ji23by24", "sha256-RPg1RJSlugO6F5Ko0+nFNMR6kYGYD956P0SwbvKufH8=")]
    // Attic's own test narinfo (server/src/narinfo/tests.rs) writes this hex; nix-hash --type sha256 --to-base32 and
    // nix hash to-sri give the other two.
    [InlineData("91e129ac1959d062ad093d2b1f8b65afae0f712056fe3eac78ec530ff6a1bb9a", "16mvl7v0ylzcg2n3xzjn41qhzbmgcn5iyarx16nn5l2r36n2kqci", "sha256-keEprBlZ0GKtCT0rH4tlr64PcSBW/j6seOxTD/ahu5o=")]
    public void Conversions_agree_with_nix(string hex, string nix32, string sri)
    {
        Assert.True(NixHash.TryParse("sha256:" + hex, out var fromHex));
        Assert.True(NixHash.TryParse("sha256:" + nix32, out var fromNix32));
        Assert.True(NixHash.TryParse(sri, out var fromSri));
        Assert.Equal(fromHex, fromNix32);
        Assert.Equal(fromHex, fromSri);
        Assert.Equal("sha256:" + nix32, fromHex!.ToNix32String());
        Assert.Equal(sri, fromNix32!.ToSriString());
        Assert.Equal("sha256:" + hex, fromSri!.ToHexString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256:")]
    [InlineData("sha256-")]
    [InlineData(Nix32Text)] // no algorithm prefix
    [InlineData(Hex)]
    [InlineData("SHA256:" + Nix32Text)] // the prefix is case-sensitive in Nix too
    [InlineData("sha256 :" + Nix32Text)]
    [InlineData(" sha256:" + Nix32Text)]
    [InlineData("sha256:" + Nix32Text + " ")]
    [InlineData("sha256:" + Nix32Text + "\n")]
    // other algorithms, "abc" hashed: nix-hash --type sha1|md5|sha512 --flat --base32 FILE, then nix hash to-sri
    [InlineData("sha1:kpcd173cq987hw957sx6m0868wv3x6d9")]
    [InlineData("md5:3jgzhjhz9zjvbb0kyj7jc500ch")]
    [InlineData("sha512:2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk876blyk1jfhkbbyx")]
    [InlineData("sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")]
    [InlineData("sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==")]
    // wrong lengths
    [InlineData("sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypx")]
    [InlineData("sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxmm")]
    [InlineData("sha256:b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca")]
    [InlineData("sha256:b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca40")]
    [InlineData("sha256:tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKQ")] // Nix wants exactly 44 base64 chars after "sha256:"
    [InlineData("sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzK")]
    [InlineData("sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKQ==")]
    // bad characters for the encoding the length selects
    [InlineData("sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxe")] // 'e' (nix: invalid base-32 hash)
    [InlineData("sha256:2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")] // padding bits set (nix: invalid base-32 hash)
    [InlineData("sha256:g55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca4")]
    [InlineData("sha256:+55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca4")]
    [InlineData("sha256-tV8voHcS5GVJ0AwllkU_7QDgUthiHkOO-opaBe-MzKQ=")] // base64url is not what Nix reads
    [InlineData("sha256-tV8voHcS5GVJ0AwllkU 7QDgUthiHkOO+opaBe+MzKQ=")] // .NET's decoder would skip the space
    [InlineData("sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzK==")]
    [InlineData("sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKQA")]
    [InlineData("sha256:tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+Mz\u00e9Q=")]
    public void Rejects_anything_else(string text)
    {
        Assert.False(NixHash.TryParse(text, out var hash));
        Assert.Null(hash);
    }

    [Fact]
    public void Rejects_null()
    {
        Assert.False(NixHash.TryParse(null, out var hash));
        Assert.Null(hash);
    }

    [Fact]
    public void Equality_is_by_digest()
    {
        Assert.True(NixHash.TryParse("sha256:" + Hex, out var a));
        Assert.True(NixHash.TryParse(Sri, out var b));
        Assert.True(NixHash.TryParse("sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", out var other));
        Assert.Equal(a, b);
        Assert.Equal(a!.GetHashCode(), b!.GetHashCode());
        Assert.NotEqual(a, other);
        Assert.False(a.Equals(null));
    }

    [Fact]
    public void Constructor_refuses_a_digest_of_the_wrong_size()
    {
        Assert.Throws<ArgumentException>(() => new NixHash(new byte[20]));
    }
}
