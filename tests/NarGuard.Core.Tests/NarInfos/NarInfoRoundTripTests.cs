using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;
using Xunit;

namespace NarGuard.Core.Tests.NarInfos;

public class NarInfoRoundTripTests
{
    // Attic's layout (server/src/narinfo/mod.rs field order; CONTEXT §3): hex NarHash, no FileHash/FileSize,
    // Compression zstd, the non-standard System field, one Sig, no CA. StorePath, URL and NarSize are the incident's.
    // The NarHash is a stand-in (the incident did not record it): the hex that `nix-hash --type sha256` printed for
    // /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest, whose nix32 form is in the assertion below. The signature
    // is a stand-in too; signatures are passed through, not checked.
    internal const string AtticNarInfo =
        "StorePath: /nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner-dashboard-0.1.0\n" +
        "URL: nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar\n" +
        "Compression: zstd\n" +
        "NarHash: sha256:b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca4\n" +
        "NarSize: 3330176\n" +
        "References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2 8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner-dashboard-0.1.0 riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep\n" +
        "System: x86_64-linux\n" +
        "Deriver: mkfk9d96b2p8bsl1am5n79h1vqcw72i7-runner-dashboard-0.1.0.drv\n" +
        "Sig: main:480C4gvtl64Asz8wNmSZePxYikVbhJPDR3te2WzFpcRpU+xUXI3e0fPZn3T+zJMV/MTYN6nMXismxD7eYffCDQ==\n";

    // Written by Nix 2.8 itself, byte for byte:
    //   nix-build --no-out-link t.nix   (three derivations with builder = "/bin/sh"; ngtest refers to the other two)
    //   nix-store --generate-binary-cache-key ngtest-1 sk pk
    //   nix copy --to 'file:///tmp/ngnc?compression=xz&secret-key=sk' /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest
    //   cat /tmp/ngnc/g169c7cv3p535sj7an3lycnvjhfnn87r.narinfo
    // FileHash is the sha256 of the .nar.xz file (sha256sum printed 3281a7ab...8208), FileSize its length.
    internal const string NixCopyNarInfo =
        "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest\n" +
        "URL: nar/0242ss2svixvyp6q795bkzvgf5x0q8nsnmsqq3cslk8902msg09j.nar.xz\n" +
        "Compression: xz\n" +
        "FileHash: sha256:0242ss2svixvyp6q795bkzvgf5x0q8nsnmsqq3cslk8902msg09j\n" +
        "FileSize: 204\n" +
        "NarHash: sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm\n" +
        "NarSize: 216\n" +
        "References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2 riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep\n" +
        "Deriver: mkfk9d96b2p8bsl1am5n79h1vqcw72i7-ngtest.drv\n" +
        "Sig: ngtest-1:480C4gvtl64Asz8wNmSZePxYikVbhJPDR3te2WzFpcRpU+xUXI3e0fPZn3T+zJMV/MTYN6nMXismxD7eYffCDQ==\n";

    // A real cache.nixos.org narinfo (hello-2.10), as quoted in Attic's server/src/narinfo/tests.rs.
    internal const string CacheNixosOrgNarInfo =
        "StorePath: /nix/store/xcp9cav49dmsjbwdjlmkjxj10gkpx553-hello-2.10\n" +
        "URL: nar/0nqgf15qfiacfxrgm2wkw0gwwncjqqzzalj8rs14w9srkydkjsk9.nar.xz\n" +
        "Compression: xz\n" +
        "FileHash: sha256:0nqgf15qfiacfxrgm2wkw0gwwncjqqzzalj8rs14w9srkydkjsk9\n" +
        "FileSize: 41104\n" +
        "NarHash: sha256:16mvl7v0ylzcg2n3xzjn41qhzbmgcn5iyarx16nn5l2r36n2kqci\n" +
        "NarSize: 206104\n" +
        "References: 563528481rvhc5kxwipjmg6rqrl95mdx-glibc-2.33-56 xcp9cav49dmsjbwdjlmkjxj10gkpx553-hello-2.10\n" +
        "Deriver: vvb4wxmnjixmrkhmj2xb75z62hrr41i7-hello-2.10.drv\n" +
        "Sig: cache.nixos.org-1:lo9EfNIL4eGRuNh7DTbAAffWPpI2SlYC/8uP7JnhgmfRIUNGhSbFe8qEaKN0mFS02TuhPpXFPNtRkFcCp0hGAQ==\n";

    [Fact]
    public void Attic_narinfo_parses_and_round_trips()
    {
        var info = Parse(AtticNarInfo);

        Assert.Equal("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner-dashboard-0.1.0", info.StorePath);
        Assert.Equal("8iv5j0f2difw6wg9vwj9r2raacb08fkv", info.StoreHash);
        Assert.Equal("nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar", info.Url);
        Assert.Equal("zstd", info.CompressionName);
        Assert.Equal(NarCompression.Zstd, info.Compression);
        Assert.Null(info.FileHash);
        Assert.Null(info.FileSize);
        // nix-hash --type sha256 --base32 on the same store path printed this nix32 form of the hex above.
        Assert.Equal("sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm", info.NarHash.ToNix32String());
        Assert.Equal(3330176, info.NarSize);
        Assert.Equal(
            ["7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2", "8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner-dashboard-0.1.0", "riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep"],
            info.References);
        Assert.Equal("x86_64-linux", info.System);
        Assert.Equal("mkfk9d96b2p8bsl1am5n79h1vqcw72i7-runner-dashboard-0.1.0.drv", info.Deriver);
        Assert.Equal("main:480C4gvtl64Asz8wNmSZePxYikVbhJPDR3te2WzFpcRpU+xUXI3e0fPZn3T+zJMV/MTYN6nMXismxD7eYffCDQ==", Assert.Single(info.Sigs));
        Assert.Null(info.CA);
        Assert.Equal(9, info.Fields.Count);

        Assert.Equal(AtticNarInfo, info.Format());
    }

    [Fact]
    public void Nix_copy_narinfo_parses_and_round_trips()
    {
        var info = Parse(NixCopyNarInfo);

        Assert.Equal("g169c7cv3p535sj7an3lycnvjhfnn87r", info.StoreHash);
        Assert.Equal(NarCompression.Xz, info.Compression);
        // sha256sum of the .nar.xz that nix copy wrote
        Assert.Equal("sha256:3281a7ab00094daad9c05857ab2dc2a017f7f69faba483cdf5bbc7ad85d68208", info.FileHash!.ToHexString());
        Assert.Equal(204, info.FileSize);
        // nix-hash --type sha256 /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest
        Assert.Equal("sha256:b55f2fa07712e46549d00c2596453fed00e052d8621e438efa8a5a05ef8ccca4", info.NarHash.ToHexString());
        Assert.Equal(216, info.NarSize);
        Assert.Equal(["7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2", "riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep"], info.References);
        Assert.Equal("mkfk9d96b2p8bsl1am5n79h1vqcw72i7-ngtest.drv", info.Deriver);
        Assert.Single(info.Sigs);
        Assert.Null(info.System);
        Assert.Null(info.CA);

        Assert.Equal(NixCopyNarInfo, info.Format());
    }

    [Fact]
    public void Cache_nixos_org_narinfo_round_trips()
    {
        var info = Parse(CacheNixosOrgNarInfo);
        Assert.Equal("xcp9cav49dmsjbwdjlmkjxj10gkpx553", info.StoreHash);
        Assert.Equal(206104, info.NarSize);
        Assert.Equal(2, info.References.Count);
        Assert.Equal(CacheNixosOrgNarInfo, info.Format());
    }

    [Fact]
    public void Empty_references_parse_to_an_empty_list()
    {
        // Written by the same nix copy, for the ngdep2 dependency: "References: " with an empty value.
        const string text =
            "StorePath: /nix/store/7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2\n" +
            "URL: nar/005s8qdzdl2zz4rjdacripr9q458059hz81x9rk8lj73m40rd8xn.nar.xz\n" +
            "Compression: xz\n" +
            "FileHash: sha256:005s8qdzdl2zz4rjdacripr9q458059hz81x9rk8lj73m40rd8xn\n" +
            "FileSize: 128\n" +
            "NarHash: sha256:18kydfw4sigxv2s42vn7iv7dl70sqjsgf0d4h0449k0ms4hwr35r\n" +
            "NarSize: 120\n" +
            "References: \n" +
            "Deriver: nfnli0ajjdzhk963ldnw6pq34gd89r9w-ngdep2.drv\n" +
            "Sig: ngtest-1:cduT2dXZZJ8aeC2nMMgeHyCgGjxDerhpQtvianLQUgrQPqYK8p5pcDaJfD3jlyn2Tg4Y2Y+G6bF+Kcy4F7uUCA==\n";
        var info = Parse(text);
        Assert.Empty(info.References);
        Assert.Equal(text, info.Format());
    }

    [Fact]
    public void WithUrl_replaces_the_property_and_the_line_in_place()
    {
        var info = Parse(AtticNarInfo);
        var moved = info.WithUrl("nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar?cache=main");

        Assert.Equal("nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar?cache=main", moved.Url);
        Assert.Equal(
            AtticNarInfo.Replace("URL: nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar\n", "URL: nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar?cache=main\n", StringComparison.Ordinal),
            moved.Format());
        Assert.Equal(info.NarHash, moved.NarHash);
        Assert.Equal(info.NarSize, moved.NarSize);
        Assert.Equal(info.Compression, moved.Compression);
        Assert.Equal(info.Sigs, moved.Sigs);
        // The original is untouched.
        Assert.Equal(AtticNarInfo, info.Format());
        Assert.Equal("nar/8iv5j0f2difw6wg9vwj9r2raacb08fkv.nar", info.Url);
    }

    [Theory]
    [InlineData("")]
    [InlineData("nar/x.nar\nNarSize: 1")]
    [InlineData("nar/x.nar\r")]
    public void WithUrl_refuses_a_url_that_would_break_the_text(string url)
    {
        var info = Parse(AtticNarInfo);
        Assert.ThrowsAny<ArgumentException>(() => info.WithUrl(url));
    }

    [Fact]
    public void Crlf_line_ends_are_tolerated_and_formatted_as_lf()
    {
        var info = Parse(NixCopyNarInfo.Replace("\n", "\r\n", StringComparison.Ordinal));
        Assert.Equal("/nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest", info.StorePath);
        Assert.Equal(NixCopyNarInfo, info.Format());
    }

    [Fact]
    public void A_missing_final_newline_is_tolerated()
    {
        var info = Parse(AtticNarInfo.TrimEnd('\n'));
        Assert.Equal(AtticNarInfo, info.Format());
    }

    [Fact]
    public void Absent_compression_means_bzip2_as_in_nix()
    {
        var text = AtticNarInfo.Replace("Compression: zstd\n", "", StringComparison.Ordinal);
        var info = Parse(text);
        Assert.Equal("bzip2", info.CompressionName);
        Assert.Equal(NarCompression.Bzip2, info.Compression);
        // Format writes what came in; it does not invent the line.
        Assert.Equal(text, info.Format());
    }

    [Fact]
    public void Empty_compression_also_means_bzip2_as_in_nix()
    {
        // nar-info.cc: `if (compression == "") compression = "bzip2";` runs after parsing, so "Compression: " is bzip2.
        var info = Parse(AtticNarInfo.Replace("Compression: zstd\n", "Compression: \n", StringComparison.Ordinal));
        Assert.Equal("bzip2", info.CompressionName);
        Assert.Equal(NarCompression.Bzip2, info.Compression);
    }

    [Theory]
    [InlineData("none", NarCompression.None)]
    [InlineData("br", NarCompression.Brotli)]
    [InlineData("lz4", NarCompression.Unsupported)]
    [InlineData("XZ", NarCompression.Unsupported)]
    public void Any_compression_name_parses_and_is_classified(string name, NarCompression expected)
    {
        var info = Parse(AtticNarInfo.Replace("Compression: zstd\n", $"Compression: {name}\n", StringComparison.Ordinal));
        Assert.Equal(name, info.CompressionName);
        Assert.Equal(expected, info.Compression);
    }

    [Fact]
    public void Repeated_sigs_and_unknown_keys_are_kept_in_order()
    {
        const string text =
            "StorePath: /nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest\n" +
            "X-Custom: one\n" +
            "URL: nar/g169c7cv3p535sj7an3lycnvjhfnn87r.nar\n" +
            "NarHash: sha256-tV8voHcS5GVJ0AwllkU/7QDgUthiHkOO+opaBe+MzKQ=\n" +
            "NarSize: 216\n" +
            "Sig: a-1:AAAA\n" +
            "X-Custom: two\n" +
            "Sig: b-1:BBBB\n" +
            "Provenance: {\"type\": \"copied\", \"note\": \"a: b\"}\n" +
            "CA: fixed:r:sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm\n" +
            "Deriver: unknown-deriver\n";
        var info = Parse(text);
        Assert.Equal(["a-1:AAAA", "b-1:BBBB"], info.Sigs);
        Assert.Empty(info.References);
        Assert.Equal("fixed:r:sha256:196cikphanlaza7467k2v19f007d7x2rc98cs14nbr0jfyh2ypxm", info.CA);
        // Nix writes "unknown-deriver" for "none" and reads it back as none.
        Assert.Null(info.Deriver);
        Assert.Equal(NarCompression.Bzip2, info.Compression);
        Assert.Equal(11, info.Fields.Count);
        Assert.Equal(new KeyValuePair<string, string>("X-Custom", "two"), info.Fields[6]);
        // Split on the first ": " only: the rest of the line is the value, colons and all.
        Assert.Equal("{\"type\": \"copied\", \"note\": \"a: b\"}", info.Fields[8].Value);
        Assert.Equal(text, info.Format());
    }

    [Fact]
    public void Blank_ca_is_no_ca_and_extra_spaces_between_references_are_skipped()
    {
        var text = NixCopyNarInfo
            .Replace("References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2 ", "References:  7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2   ", StringComparison.Ordinal)
            + "CA: \n";
        var info = Parse(text);
        Assert.Equal(["7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2", "riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep"], info.References);
        Assert.Null(info.CA);
        Assert.Equal(text, info.Format());
    }

    [Fact]
    public void Sizes_up_to_long_max_are_accepted()
    {
        var info = Parse(NixCopyNarInfo
            .Replace("NarSize: 216\n", "NarSize: 9223372036854775807\n", StringComparison.Ordinal)
            .Replace("FileSize: 204\n", "FileSize: 0\n", StringComparison.Ordinal));
        Assert.Equal(long.MaxValue, info.NarSize);
        Assert.Equal(0, info.FileSize);
    }

    [Fact]
    public void Thousands_of_references_parse()
    {
        var references = new string[5000];
        for (int k = 0; k < references.Length; k++)
        {
            references[k] = $"{StoreHashFor(k)}-dep-{k}";
        }
        var text = NixCopyNarInfo.Replace(
            "References: 7b5y8dgsyfnnmccz5nzkcdgpfqfc62ly-ngdep2 riq60xgsicqpnbl6x3vv1f0aq04h9yci-ngdep\n",
            "References: " + string.Join(' ', references) + "\n",
            StringComparison.Ordinal);
        var info = Parse(text);
        Assert.Equal(references, info.References);
        Assert.Equal(text, info.Format());
    }

    [Theory]
    [InlineData("none", NarCompression.None)]
    [InlineData("", NarCompression.None)]
    [InlineData("xz", NarCompression.Xz)]
    [InlineData("bzip2", NarCompression.Bzip2)]
    [InlineData("zstd", NarCompression.Zstd)]
    [InlineData("br", NarCompression.Brotli)]
    [InlineData("gzip", NarCompression.Gzip)]
    [InlineData("lzip", NarCompression.Unsupported)]
    [InlineData("lz4", NarCompression.Unsupported)]
    [InlineData("Zstd", NarCompression.Unsupported)]
    [InlineData("brotli", NarCompression.Unsupported)]
    [InlineData(" xz", NarCompression.Unsupported)]
    [InlineData(null, NarCompression.Unsupported)]
    public void ParseCompression_maps_nix_names_case_sensitively(string? name, NarCompression expected)
    {
        Assert.Equal(expected, NarInfo.ParseCompression(name));
    }

    internal static NarInfo Parse(string text)
    {
        Assert.True(NarInfo.TryParse(text, out var info, out var error), error);
        Assert.Null(error);
        Assert.NotNull(info);
        return info;
    }

    private static string StoreHashFor(int k)
    {
        var bytes = new byte[20];
        BitConverter.TryWriteBytes(bytes, k);
        return Nix32.Encode(bytes);
    }
}
