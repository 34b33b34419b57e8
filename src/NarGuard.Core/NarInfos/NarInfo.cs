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
    /// Parses narinfo text. Required: StorePath (a valid store path), URL, NarHash (sha256, any encoding), NarSize (>= 0).
    /// Rejects: text over <see cref="MaxTextBytes"/>, lines without ": ", duplicate single-valued keys, bad hashes,
    /// negative or unparsable sizes. Unknown keys are kept. Returns false and a short reason on failure; never throws.
    /// </summary>
    public static bool TryParse(string text, out NarInfo? narInfo, out string? error) => throw new NotImplementedException();

    /// <summary>The narinfo text: every field in the original order, "Key: value\n" each.</summary>
    public string Format() => throw new NotImplementedException();

    /// <summary>A copy with URL replaced (in Fields too).</summary>
    public NarInfo WithUrl(string url) => throw new NotImplementedException();

    /// <summary>Maps a Compression value to the enum: "none"/"" → None, "xz", "bzip2", "zstd", "br", "gzip"; anything else Unsupported.</summary>
    public static NarCompression ParseCompression(string? name) => throw new NotImplementedException();
}
