using System.Security.Cryptography;
using System.Text;

namespace NarGuard.Tests.Support;

/// <summary>Distinct, valid store paths for tests.</summary>
public static class StorePaths
{
    private const string Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";

    public static string Make(string name)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(name + Guid.NewGuid()));
        var hash = new char[32];
        for (var i = 0; i < hash.Length; i++)
        {
            hash[i] = Alphabet[digest[i] % 32];
        }
        return $"/nix/store/{new string(hash)}-{name}";
    }

    public static string HashOf(string storePath) => storePath["/nix/store/".Length..][..32];
}
