using System.Globalization;
using System.Text;
using NarGuard.Core.Hashing;

namespace NarGuard.Core.NarInfos;

/// <summary>
/// The line scanner behind <see cref="NarInfo.TryParse"/>. It runs on the request path, so it is one pass over the
/// text with span slicing: no regex, no LINQ, and every failure is a returned reason rather than an exception.
/// Where Nix (libstore nar-info.cc) would call a narinfo corrupt, this parser rejects it too: a narinfo the proxy
/// refuses becomes a clean 404, one the client cannot parse is a hard error for the whole Nix command.
/// </summary>
internal static class NarInfoParser
{
    // Bits of the single-valued keys seen so far, to reject duplicates without a dictionary.
    [Flags]
    private enum Seen
    {
        None = 0,
        StorePath = 1 << 0,
        Url = 1 << 1,
        Compression = 1 << 2,
        FileHash = 1 << 3,
        FileSize = 1 << 4,
        NarHash = 1 << 5,
        NarSize = 1 << 6,
        References = 1 << 7,
        Deriver = 1 << 8,
        CA = 1 << 9,
        System = 1 << 10,
    }

    private sealed class Builder
    {
        public Seen Seen;
        public string? StorePath;
        public string? StoreHash;
        public string? Url;
        public string? CompressionName;
        public NixHash? FileHash;
        public long? FileSize;
        public NixHash? NarHash;
        public long NarSize;
        public List<string>? References;
        public string? Deriver;
        public List<string>? Sigs;
        public string? CA;
        public string? System;
    }

    public static bool TryParse(string? text, out NarInfo? narInfo, out string? error)
    {
        narInfo = null;
        if (text is null)
        {
            error = "no text";
            return false;
        }
        // Length first: UTF-8 never has fewer bytes than UTF-16 code units, so a long string is rejected before
        // anything walks it.
        if (text.Length > NarInfo.MaxTextBytes || Encoding.UTF8.GetByteCount(text) > NarInfo.MaxTextBytes)
        {
            error = "narinfo too large";
            return false;
        }
        if (text.Contains('\0'))
        {
            error = "NUL character";
            return false;
        }

        var builder = new Builder();
        var fields = new List<KeyValuePair<string, string>>(12);
        int pos = 0;
        int lineNumber = 0;
        while (pos < text.Length)
        {
            lineNumber++;
            int eol = text.IndexOf('\n', pos);
            int end = eol < 0 ? text.Length : eol;
            ReadOnlySpan<char> line = text.AsSpan(pos, end - pos);
            pos = eol < 0 ? text.Length : eol + 1;
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }
            // Only a CR that ends a line is a line end; any other would survive Format and change meaning on the
            // next parse (a value "v\r" written back as "v\r\n" reads as "v"), so Format would not be a fixed point.
            if (line.Contains('\r'))
            {
                error = $"stray CR at line {lineNumber}";
                return false;
            }

            // Blank lines are rejected too: Nix finds no ':' on them and calls the whole narinfo corrupt.
            int separator = line.IndexOf(": ", StringComparison.Ordinal);
            if (separator < 0)
            {
                error = $"line {lineNumber} has no ': '";
                return false;
            }
            if (separator == 0)
            {
                error = $"empty key at line {lineNumber}";
                return false;
            }
            string key = new(line[..separator]);
            string value = new(line[(separator + 2)..]);
            error = Apply(builder, key, value);
            if (error is not null)
            {
                return false;
            }
            fields.Add(new KeyValuePair<string, string>(key, value));
        }

        error = CheckRequired(builder);
        if (error is not null)
        {
            return false;
        }
        // Nix turns an absent or empty Compression into bzip2 before it picks a decompressor.
        string compressionName = string.IsNullOrEmpty(builder.CompressionName) ? "bzip2" : builder.CompressionName;
        narInfo = new NarInfo
        {
            StorePath = builder.StorePath!,
            StoreHash = builder.StoreHash!,
            Url = builder.Url!,
            CompressionName = compressionName,
            Compression = NarInfo.ParseCompression(compressionName),
            FileHash = builder.FileHash,
            FileSize = builder.FileSize,
            NarHash = builder.NarHash!,
            NarSize = builder.NarSize,
            References = builder.References is null ? [] : builder.References.AsReadOnly(),
            Deriver = builder.Deriver,
            Sigs = builder.Sigs is null ? [] : builder.Sigs.AsReadOnly(),
            CA = builder.CA,
            System = builder.System,
            Fields = fields.AsReadOnly(),
        };
        return true;
    }

    /// <summary>Records one line; returns the reason it is refused, or null.</summary>
    private static string? Apply(Builder b, string key, string value)
    {
        switch (key)
        {
            case "StorePath":
                if (!Once(b, Seen.StorePath))
                {
                    return "duplicate key StorePath";
                }
                b.StoreHash = Hashing.StoreHash.FromStorePath(value);
                if (b.StoreHash is null)
                {
                    return "bad StorePath";
                }
                b.StorePath = value;
                return null;
            case "URL":
                if (!Once(b, Seen.Url))
                {
                    return "duplicate key URL";
                }
                b.Url = value;
                return null;
            case "Compression":
                if (!Once(b, Seen.Compression))
                {
                    return "duplicate key Compression";
                }
                b.CompressionName = value;
                return null;
            case "FileHash":
                if (!Once(b, Seen.FileHash))
                {
                    return "duplicate key FileHash";
                }
                if (!NixHash.TryParse(value, out b.FileHash))
                {
                    return "bad FileHash";
                }
                return null;
            case "FileSize":
                if (!Once(b, Seen.FileSize))
                {
                    return "duplicate key FileSize";
                }
                if (!TryParseSize(value, out long fileSize))
                {
                    return "bad FileSize";
                }
                b.FileSize = fileSize;
                return null;
            case "NarHash":
                if (!Once(b, Seen.NarHash))
                {
                    return "duplicate key NarHash";
                }
                if (!NixHash.TryParse(value, out b.NarHash))
                {
                    return "bad NarHash";
                }
                return null;
            case "NarSize":
                if (!Once(b, Seen.NarSize))
                {
                    return "duplicate key NarSize";
                }
                if (!TryParseSize(value, out b.NarSize))
                {
                    return "bad NarSize";
                }
                return null;
            case "References":
                if (!Once(b, Seen.References))
                {
                    return "duplicate key References";
                }
                b.References = SplitReferences(value);
                return b.References is null ? "bad References" : null;
            case "Deriver":
                if (!Once(b, Seen.Deriver))
                {
                    return "duplicate key Deriver";
                }
                // Nix writes "unknown-deriver" when there is none and maps it back to no deriver.
                if (value == "unknown-deriver")
                {
                    return null;
                }
                if (!StorePathName.IsValidBaseName(value))
                {
                    return "bad Deriver";
                }
                b.Deriver = value;
                return null;
            case "Sig":
                (b.Sigs ??= new List<string>(2)).Add(value);
                return null;
            case "CA":
                if (!Once(b, Seen.CA))
                {
                    return "duplicate key CA";
                }
                // Nix reads a blank CA as "not content-addressed".
                b.CA = value.Length == 0 ? null : value;
                return null;
            case "System":
                if (!Once(b, Seen.System))
                {
                    return "duplicate key System";
                }
                b.System = value;
                return null;
            default:
                // Unknown keys (Provenance, future fields) are kept for Format and may repeat.
                return null;
        }
    }

    private static string? CheckRequired(Builder b)
    {
        // Same order as Nix's own "corrupt" message, so logs read alike.
        if (b.StorePath is null)
        {
            return "missing StorePath";
        }
        if (b.NarHash is null)
        {
            return "missing NarHash";
        }
        if (b.Url is null)
        {
            return "missing URL";
        }
        if (b.Url.Length == 0)
        {
            return "empty URL";
        }
        if ((b.Seen & Seen.NarSize) == 0)
        {
            return "missing NarSize";
        }
        // Nix treats NarSize 0 as missing ("NarSize missing or zero"); no real NAR is empty anyway.
        if (b.NarSize == 0)
        {
            return "NarSize is zero";
        }
        return null;
    }

    private static bool Once(Builder b, Seen key)
    {
        if ((b.Seen & key) != 0)
        {
            return false;
        }
        b.Seen |= key;
        return true;
    }

    // Digits only: NumberStyles.None refuses signs, spaces and separators, and TryParse refuses overflow.
    private static bool TryParseSize(string value, out long size) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out size);

    /// <summary>Space-separated base names; runs of spaces count as one, as Nix's tokenizer does. Null on a bad name.</summary>
    private static List<string>? SplitReferences(string value)
    {
        var references = new List<string>();
        ReadOnlySpan<char> rest = value;
        while (true)
        {
            rest = rest.TrimStart(' ');
            if (rest.IsEmpty)
            {
                break;
            }
            int space = rest.IndexOf(' ');
            ReadOnlySpan<char> token = space < 0 ? rest : rest[..space];
            rest = space < 0 ? default : rest[space..];
            if (!StorePathName.IsValidBaseName(token))
            {
                return null;
            }
            references.Add(new string(token));
        }
        return references;
    }
}
