namespace NarGuard.Core.Hashing;

/// <summary>A SHA-256 digest as Nix writes it. Parses "sha256:&lt;nix32|hex|base64&gt;" and SRI "sha256-&lt;base64&gt;"; formats in any of them.</summary>
public sealed class NixHash : IEquatable<NixHash>
{
    public const int Sha256Bytes = 32;

    private readonly byte[] _bytes;

    public NixHash(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != Sha256Bytes)
        {
            throw new ArgumentException($"A SHA-256 digest has {Sha256Bytes} bytes, not {sha256.Length}.", nameof(sha256));
        }
        _bytes = sha256.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Parses a hash in any encoding Nix or Attic writes. Only sha256 is accepted; everything else returns false.</summary>
    public static bool TryParse(string? text, out NixHash? hash)
    {
        hash = null;
        if (text is null)
        {
            return false;
        }
        Span<byte> digest = stackalloc byte[Sha256Bytes];
        ReadOnlySpan<char> span = text;
        bool ok;
        if (span.StartsWith(ColonPrefix, StringComparison.Ordinal))
        {
            ReadOnlySpan<char> body = span[ColonPrefix.Length..];
            // The length alone tells the encodings apart, exactly as Nix's Hash parser does.
            ok = body.Length switch
            {
                Nix32Length => Nix32.TryDecode(body, digest),
                HexLength => TryDecodeHex(body, digest),
                PaddedBase64Length => TryDecodeBase64(body, digest),
                _ => false,
            };
        }
        else if (span.StartsWith(SriPrefix, StringComparison.Ordinal))
        {
            // Nix accepts SRI with or without the trailing '=', so Attic or a hand-written narinfo may use either.
            ReadOnlySpan<char> body = span[SriPrefix.Length..];
            ok = (body.Length is PaddedBase64Length or PaddedBase64Length - 1) && TryDecodeBase64(body, digest);
        }
        else
        {
            ok = false;
        }
        if (ok)
        {
            hash = new NixHash(digest);
        }
        return ok;
    }

    /// <summary>"sha256:" + 52 nix32 characters, as cache.nixos.org writes it.</summary>
    public string ToNix32String() => ColonPrefix + ToNix32();
    /// <summary>"sha256:" + 64 lower-case hex characters, as Attic writes it.</summary>
    public string ToHexString() => ColonPrefix + Convert.ToHexStringLower(_bytes);
    /// <summary>"sha256-" + base64, SRI form.</summary>
    public string ToSriString() => SriPrefix + Convert.ToBase64String(_bytes);
    /// <summary>52 nix32 characters without prefix (safe in file names).</summary>
    public string ToNix32() => Nix32.Encode(_bytes);

    public override string ToString() => ToNix32String();
    public bool Equals(NixHash? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);
    public override bool Equals(object? obj) => obj is NixHash h && Equals(h);
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    private const string ColonPrefix = "sha256:";
    private const string SriPrefix = "sha256-";
    private const int Nix32Length = 52;
    private const int HexLength = Sha256Bytes * 2;
    private const int PaddedBase64Length = 44;

    private static bool TryDecodeHex(ReadOnlySpan<char> text, Span<byte> destination)
    {
        for (int k = 0; k < destination.Length; k++)
        {
            int hi = HexDigit(text[2 * k]);
            int lo = HexDigit(text[2 * k + 1]);
            if ((hi | lo) < 0)
            {
                return false;
            }
            destination[k] = (byte)((hi << 4) | lo);
        }
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Decodes 43 base64 characters plus an optional '='. Checks the alphabet itself because
    /// Convert's decoder skips whitespace, which would let "sha256-ab cd..." through.</summary>
    private static bool TryDecodeBase64(ReadOnlySpan<char> text, Span<byte> destination)
    {
        const int DataChars = PaddedBase64Length - 1;
        if (text.Length == PaddedBase64Length && text[DataChars] != '=')
        {
            return false;
        }
        Span<char> padded = stackalloc char[PaddedBase64Length];
        for (int k = 0; k < DataChars; k++)
        {
            char c = text[k];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/'))
            {
                return false;
            }
            padded[k] = c;
        }
        padded[DataChars] = '=';
        // The two spare bits of the last character are ignored, as Nix ignores them.
        return Convert.TryFromBase64Chars(padded, destination, out int written) && written == Sha256Bytes;
    }
}
