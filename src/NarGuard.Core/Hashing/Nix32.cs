namespace NarGuard.Core.Hashing;

/// <summary>Nix's base-32 encoding ("nix32"): alphabet 0123456789abcdfghijklmnpqrsvwxyz, least significant bits first.</summary>
public static class Nix32
{
    public const string Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    /// <summary>Length of the nix32 text of <paramref name="byteCount"/> bytes (32 for 20 bytes, 52 for 32 bytes).</summary>
    public static int EncodedLength(int byteCount) => throw new NotImplementedException();

    public static string Encode(ReadOnlySpan<byte> bytes) => throw new NotImplementedException();

    /// <summary>Decodes nix32 text into <paramref name="destination"/> (which must be exactly the decoded length). False on a bad character, a bad length or non-zero padding bits.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination) => throw new NotImplementedException();

    /// <summary>True when every character is in the nix32 alphabet.</summary>
    public static bool IsNix32(ReadOnlySpan<char> text) => throw new NotImplementedException();
}
