using NarGuard.Core.Hashing;

namespace NarGuard.Core.NarInfos;

/// <summary>
/// A parsed narinfo. Keeps every line in order (including keys it does not know, and several Sig lines)
/// so that <see cref="Format"/> reproduces the upstream text, changing only what <see cref="WithUrl"/> changed.
/// </summary>
public sealed class NarInfo
{
    /// <summary>Largest narinfo text accepted (bytes). Real ones are a few KiB even with thousands of references.</summary>
    public const int MaxTextBytes = 1024 * 1024;

    public required string StorePath { get; init; }
    /// <summary>The 32-character hash part of StorePath.</summary>
    public required string StoreHash { get; init; }
    public required string Url { get; init; }
    /// <summary>The raw Compression value ("bzip2" when the field is absent).</summary>
    public required string CompressionName { get; init; }
    public required NarCompression Compression { get; init; }
    public NixHash? FileHash { get; init; }
    public long? FileSize { get; init; }
    public required NixHash NarHash { get; init; }
    public required long NarSize { get; init; }
    /// <summary>Base names of referenced store paths ("hash-name"), as written.</summary>
    public required IReadOnlyList<string> References { get; init; }
    public string? Deriver { get; init; }
    public required IReadOnlyList<string> Sigs { get; init; }
    public string? CA { get; init; }
    /// <summary>Attic's non-standard System field.</summary>
    public string? System { get; init; }
    /// <summary>Every line as (key, value), in the order of the text, known and unknown keys alike.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; }

    /// <summary>
    /// Parses narinfo text. Required: StorePath (a valid store path), URL, NarHash (sha256, any encoding), NarSize (> 0:
    /// Nix calls a zero NarSize corrupt). Rejects: text over <see cref="MaxTextBytes"/>, NUL, a CR that does not end a
    /// line, lines without ": ", duplicate single-valued keys, bad hashes, negative or unparsable sizes, References or
    /// Deriver entries Nix could not parse. Unknown keys are kept. Returns false and a short reason; never throws.
    /// </summary>
    public static bool TryParse(string text, out NarInfo? narInfo, out string? error) =>
        NarInfoParser.TryParse(text, out narInfo, out error);

    /// <summary>The narinfo text: every field in the original order, "Key: value\n" each.</summary>
    public string Format()
    {
        var fields = Fields;
        int length = 0;
        for (int k = 0; k < fields.Count; k++)
        {
            length += fields[k].Key.Length + fields[k].Value.Length + 3;
        }
        return string.Create(length, fields, static (span, fields) =>
        {
            for (int k = 0; k < fields.Count; k++)
            {
                var (key, value) = fields[k];
                key.CopyTo(span);
                span = span[key.Length..];
                span[0] = ':';
                span[1] = ' ';
                value.CopyTo(span[2..]);
                span = span[(2 + value.Length)..];
                span[0] = '\n';
                span = span[1..];
            }
        });
    }

    /// <summary>A copy with URL replaced (in Fields too).</summary>
    public NarInfo WithUrl(string url)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        // A line break would let a caller smuggle extra fields into the text Format writes.
        if (url.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0)
        {
            throw new ArgumentException("A narinfo URL cannot contain a line break or NUL.", nameof(url));
        }
        var fields = new KeyValuePair<string, string>[Fields.Count];
        for (int k = 0; k < fields.Length; k++)
        {
            var field = Fields[k];
            fields[k] = field.Key == "URL" ? new KeyValuePair<string, string>("URL", url) : field;
        }
        return new NarInfo
        {
            StorePath = StorePath,
            StoreHash = StoreHash,
            Url = url,
            CompressionName = CompressionName,
            Compression = Compression,
            FileHash = FileHash,
            FileSize = FileSize,
            NarHash = NarHash,
            NarSize = NarSize,
            References = References,
            Deriver = Deriver,
            Sigs = Sigs,
            CA = CA,
            System = System,
            Fields = Array.AsReadOnly(fields),
        };
    }

    /// <summary>Maps a Compression value to the enum: "none"/"" → None, "xz", "bzip2", "zstd", "br", "gzip"; anything else Unsupported.</summary>
    public static NarCompression ParseCompression(string? name) => name switch
    {
        // Case-sensitive like Nix's makeDecompressionSink: "XZ" is a name Nix does not know either.
        "none" or "" => NarCompression.None,
        "xz" => NarCompression.Xz,
        "bzip2" => NarCompression.Bzip2,
        "zstd" => NarCompression.Zstd,
        "br" => NarCompression.Brotli,
        "gzip" => NarCompression.Gzip,
        _ => NarCompression.Unsupported,
    };
}
