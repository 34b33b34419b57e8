namespace NarGuard.Core.Hashing;

/// <summary>Nix's base-32 encoding ("nix32"): alphabet 0123456789abcdfghijklmnpqrsvwxyz, least significant bits first.</summary>
public static class Nix32
{
    public const string Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    // Indexed by (char & 0x7f); -1 marks a character outside the alphabet. A table keeps decoding
    // branch-free per character, which matters because every request path carries a store hash.
    private static readonly sbyte[] DecodeTable = BuildDecodeTable();

    /// <summary>Length of the nix32 text of <paramref name="byteCount"/> bytes (32 for 20 bytes, 52 for 32 bytes).</summary>
    public static int EncodedLength(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        // Nix computes (size * 8 - 1) / 5 + 1 on an unsigned size, which would wrap for 0; 0 bytes is 0 characters.
        return byteCount == 0 ? 0 : (int)(((long)byteCount * 8 - 1) / 5 + 1);
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        int length = EncodedLength(bytes.Length);
        if (length == 0)
        {
            return string.Empty;
        }
        // string.Create cannot capture a span; a SHA-256 is 52 characters, so the stack buffer is the usual case.
        Span<char> buffer = length <= 256 ? stackalloc char[length] : new char[length];
        EncodeCore(bytes, buffer);
        return new string(buffer);
    }

    /// <summary>Decodes nix32 text into <paramref name="destination"/> (which must be exactly the decoded length). False on a bad character, a bad length or non-zero padding bits.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.Length != EncodedLength(destination.Length))
        {
            return false;
        }
        destination.Clear();
        int size = destination.Length;
        for (int n = 0; n < text.Length; n++)
        {
            int digit = DigitOf(text[text.Length - n - 1]);
            if (digit < 0)
            {
                return false;
            }
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            destination[i] |= (byte)(digit << j);
            int carry = digit >> (8 - j);
            if (i < size - 1)
            {
                destination[i + 1] |= (byte)carry;
            }
            else if (carry != 0)
            {
                // Bits beyond the last byte: Nix rejects these ("invalid base-32 hash"), so two texts can never
                // name the same digest and a non-canonical hash cannot slip past a string comparison elsewhere.
                return false;
            }
        }
        return true;
    }

    /// <summary>True when every character is in the nix32 alphabet.</summary>
    public static bool IsNix32(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (DigitOf(c) < 0)
            {
                return false;
            }
        }
        return true;
    }

    internal static void EncodeCore(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        int size = bytes.Length;
        int length = destination.Length;
        // Same walk as Nix's printHash32: the last character holds the lowest bits of byte 0.
        for (int n = length - 1; n >= 0; n--)
        {
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            int c = (bytes[i] >> j) | (i >= size - 1 ? 0 : bytes[i + 1] << (8 - j));
            destination[length - n - 1] = Alphabet[c & 0x1f];
        }
    }

    private static int DigitOf(char c) => c < 128 ? DecodeTable[c] : -1;

    private static sbyte[] BuildDecodeTable()
    {
        var table = new sbyte[128];
        Array.Fill(table, (sbyte)-1);
        for (int k = 0; k < Alphabet.Length; k++)
        {
            table[Alphabet[k]] = (sbyte)k;
        }
        return table;
    }
}
