using System.IO.Compression;
using System.Security.Cryptography;
using SharpCompress.Compressors.Xz;
using ZstdSharp;

namespace AtticEmulator;

/// <summary>Reads a binary cache written by <c>nix copy --to file://DIR</c>: every
/// <c>*.narinfo</c> at the top of DIR and the NAR file its <c>URL:</c> names.</summary>
internal static class BinaryCacheReader
{
    /// <summary>One path of the cache, its NAR decompressed and checked against the narinfo.</summary>
    public sealed record Entry(string StorePath, byte[] Nar, string[] References, string? Deriver, string[] Signatures);

    public static IEnumerable<Entry> Read(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir, "*.narinfo").Order(StringComparer.Ordinal))
        {
            yield return ReadOne(dir, file);
        }
    }

    private static Entry ReadOne(string dir, string narInfoFile)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var sigs = new List<string>();
        foreach (var line in File.ReadAllLines(narInfoFile))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var (key, value) = (line[..colon], line[(colon + 2)..]);
            if (key == "Sig")
            {
                sigs.Add(value);
            }
            else
            {
                fields[key] = value;
            }
        }

        string Field(string key) => fields.TryGetValue(key, out var v)
            ? v
            : throw new InvalidDataException($"{narInfoFile}: no {key}");

        var compressed = File.ReadAllBytes(Path.Combine(dir, Field("URL")));
        var nar = Decompress(compressed, fields.GetValueOrDefault("Compression", "bzip2"), narInfoFile);
        Check(nar, Field("NarHash"), long.Parse(Field("NarSize"), System.Globalization.CultureInfo.InvariantCulture), narInfoFile);

        var references = fields.GetValueOrDefault("References", "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var deriver = fields.GetValueOrDefault("Deriver");
        return new Entry(Field("StorePath"), nar, references, string.IsNullOrEmpty(deriver) ? null : deriver, sigs.ToArray());
    }

    private static byte[] Decompress(byte[] data, string compression, string source)
    {
        using var input = new MemoryStream(data);
        using Stream reader = compression switch
        {
            "none" or "" => input,
            "xz" => new XZStream(input),
            "zstd" => new DecompressionStream(input),
            "br" => new BrotliStream(input, CompressionMode.Decompress),
            _ => throw new NotSupportedException($"{source}: Compression {compression} (write the cache with compression=none, xz or zstd)"),
        };
        var output = new MemoryStream();
        reader.CopyTo(output);
        return output.ToArray();
    }

    private static void Check(byte[] nar, string narHash, long narSize, string source)
    {
        if (nar.LongLength != narSize)
        {
            throw new InvalidDataException($"{source}: NAR is {nar.LongLength} bytes, NarSize says {narSize}");
        }

        var digest = SHA256.HashData(nar);
        var expected = narHash.StartsWith("sha256:", StringComparison.Ordinal) ? narHash["sha256:".Length..] : narHash;
        var matches = expected.Length == 64
            ? string.Equals(expected, Convert.ToHexStringLower(digest), StringComparison.Ordinal)
            : string.Equals(expected, Nix32.Encode(digest), StringComparison.Ordinal);
        if (!matches)
        {
            throw new InvalidDataException($"{source}: NAR does not match NarHash {narHash}");
        }
    }
}
