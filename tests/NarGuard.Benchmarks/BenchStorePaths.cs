using System.Security.Cryptography;
using System.Text;
using NarGuard.Core.Hashing;

namespace NarGuard.Benchmarks;

/// <summary>Deterministic, valid store paths for generated objects: the same name and index give the same path.</summary>
public static class BenchStorePaths
{
    public static string For(string name, int index)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"narguard-bench-path:{name}:{index}"));
        return $"/nix/store/{Nix32.Encode(digest.AsSpan(0, 20))}-bench-{name}-{index}";
    }
}
