using System.Buffers.Binary;
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

    public static byte[] OfFile(byte[] contents)
    {
        using var stream = new MemoryStream(contents.Length + 256);
        foreach (var token in new[] { "nix-archive-1", "(", "type", "regular", "contents" })
        {
            Write(stream, Encoding.ASCII.GetBytes(token));
        }
        Write(stream, contents);
        Write(stream, ")"u8.ToArray());
        return stream.ToArray();
    }

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

    // NAR strings: 64-bit little-endian length, the bytes, zero padding to a multiple of 8.
    private static void Write(Stream stream, byte[] value)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)value.Length);
        stream.Write(length);
        stream.Write(value);
        stream.Write(new byte[(8 - value.Length % 8) % 8]);
    }
}
