namespace AtticEmulator;

/// <summary>Nix's base-32 (alphabet without e, o, u, t; least significant bits first), used to
/// check the NarHash of binary caches written by <c>nix copy</c>.</summary>
internal static class Nix32
{
    private const string Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    public static string Encode(ReadOnlySpan<byte> hash)
    {
        var length = ((hash.Length * 8) - 1) / 5 + 1;
        var chars = new char[length];
        for (var n = length - 1; n >= 0; n--)
        {
            var bit = n * 5;
            var i = bit / 8;
            var j = bit % 8;
            var c = (hash[i] >> j) | (i >= hash.Length - 1 ? 0 : hash[i + 1] << (8 - j));
            chars[length - 1 - n] = Alphabet[c & 0x1f];
        }

        return new string(chars);
    }

    /// <summary>True for a 32-character store hash.</summary>
    public static bool IsStoreHash(string value) =>
        value.Length == 32 && value.All(c => Alphabet.Contains(c, StringComparison.Ordinal));
}
