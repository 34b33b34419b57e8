using System.Security.Cryptography;
using System.Text;

namespace NarGuard.Demo;

/// <summary>
/// Makes the demo's store paths in-process, so that the demo needs nothing but the .NET SDK: a real NAR
/// serialisation (the format of <c>nix-store --dump</c>) of one regular file, and a store path to go with it.
/// </summary>
public static class DemoNar
{
    private const string Nix32Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    /// <summary>
    /// A NAR of one text file of about <paramref name="size"/> bytes. Large enough that the emulator cuts it into
    /// several 64 KiB chunks (several zstd frames), so that "truncated" and "stall" stop in the middle of a real body.
    /// </summary>
    public static byte[] OfText(string name, int size)
    {
        var text = new StringBuilder(size + 128);
        for (var line = 0; text.Length < size; line++)
        {
            text.Append("narguard demo ").Append(name).Append(", line ").Append(line).Append(": a store path whose bytes must arrive intact\n");
        }
        return OfFile(Encoding.ASCII.GetBytes(text.ToString()));
    }

    public static byte[] OfFile(byte[] contents) => NarGuard.Core.Nars.NarFile.OfRegularFile(contents);

    /// <summary>
    /// <c>/nix/store/&lt;32 nix32 chars&gt;-narguard-demo-NAME</c>. The hash part is random per run: Nix caches
    /// narinfos per substituter URL, and a fresh hash keeps a previous run's answers out of the way.
    /// </summary>
    public static string StorePath(string name)
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        var hash = new char[32];
        for (var i = 0; i < hash.Length; i++)
        {
            hash[i] = Nix32Alphabet[random[i] % 32];
        }
        return $"/nix/store/{new string(hash)}-narguard-demo-{name}";
    }
}
