using System.Security.Cryptography;
using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;

namespace NarGuard.Core.Tests.Verification;

/// <summary>The committed fixtures (TestData/Nar/README.md says how each was made) and expectations built from them.</summary>
internal static class NarTestData
{
    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "Nar", name));

    public static readonly byte[] FixtureNar = Read("fixture.nar");
    public static readonly byte[] SmallNar = Read("small.nar");

    /// <summary>Every committed body: (file, compression, the NAR it decompresses to).</summary>
    public static readonly (string File, NarCompression Compression, string Nar)[] Bodies =
    [
        ("fixture.nar", NarCompression.None, "fixture.nar"),
        ("fixture.nar.zst", NarCompression.Zstd, "fixture.nar"),
        ("fixture.multiframe.nar.zst", NarCompression.Zstd, "fixture.nar"),
        ("fixture.nar.xz", NarCompression.Xz, "fixture.nar"),
        ("fixture.multistream.nar.xz", NarCompression.Xz, "fixture.nar"),
        ("fixture.multistream.nar.bz2", NarCompression.Bzip2, "fixture.nar"),
        ("fixture.nar.br", NarCompression.Brotli, "fixture.nar"),
        ("fixture.multimember.nar.gz", NarCompression.Gzip, "fixture.nar"),
        ("small.blocks.nar.xz", NarCompression.Xz, "small.nar"),
        ("small.crc32.nar.xz", NarCompression.Xz, "small.nar"),
        ("small.sha256.nar.xz", NarCompression.Xz, "small.nar"),
        ("small.nocheck.nar.xz", NarCompression.Xz, "small.nar"),
        ("small.x86.nar.xz", NarCompression.Xz, "small.nar"),
    ];

    /// <summary>The formats whose decoders detect every cut (gzip and bzip2 have documented gaps).</summary>
    public static readonly string[] StrictBodies =
    [
        "fixture.nar", "fixture.nar.zst", "fixture.multiframe.nar.zst", "fixture.nar.xz",
        "fixture.multistream.nar.xz", "fixture.nar.br", "small.blocks.nar.xz", "small.sha256.nar.xz",
    ];

    public static NarCompression CompressionOf(string file) => Array.Find(Bodies, b => b.File == file).Compression;

    public static byte[] NarOf(string file) => Read(Array.Find(Bodies, b => b.File == file).Nar);

    public static NixHash Sha256(ReadOnlySpan<byte> data) => new(SHA256.HashData(data));

    public static NarExpectation Expect(string file, bool withFileFields = false)
    {
        var nar = NarOf(file);
        var body = Read(file);
        return new NarExpectation(CompressionOf(file), Sha256(nar), nar.LongLength,
            withFileFields ? Sha256(body) : null, withFileFields ? body.LongLength : null);
    }

    public static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle, int start) =>
        start + haystack.AsSpan(start).IndexOf(needle);

    public static readonly byte[] ZstdMagic = [0x28, 0xB5, 0x2F, 0xFD];
    public static readonly byte[] XzMagic = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
}
