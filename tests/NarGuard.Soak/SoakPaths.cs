using System.Text;

namespace NarGuard.Soak;

/// <summary>Store paths and real NAR serialisations (one regular file of text-like bytes) for the soak.</summary>
internal static class SoakPaths
{
    private const string Nix32 = "0123456789abcdfghijklmnpqrsvwxyz";

    public static string Make(Random random, int index)
    {
        var hash = string.Create(32, random, static (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = Nix32[r.Next(32)]; });
        return $"/nix/store/{hash}-soak-{index}";
    }

    public static byte[] Nar(Random random, int size)
    {
        var words = new[] { "lib", "share", "bin", "nix", "store", "derivation", "build", "output", "\n", " ", "0x1f", "ELF" };
        var text = new StringBuilder(size + 16);
        while (text.Length < size)
        {
            text.Append(words[random.Next(words.Length)]);
        }
        var contents = Encoding.ASCII.GetBytes(text.ToString(0, size));
        return NarGuard.Core.Nars.NarFile.OfRegularFile(contents);
    }
}
