namespace NarGuard.Core.Hashing;

/// <summary>The 32-character nix32 hash part of a store path (/nix/store/&lt;hash&gt;-&lt;name&gt;).</summary>
public static class StoreHash
{
    public const int Length = 32;

    /// <summary>Exactly 32 characters of the nix32 alphabet.</summary>
    public static bool IsValid(ReadOnlySpan<char> text) => throw new NotImplementedException();

    /// <summary>The hash part of a full store path ("/nix/store/abc...-name"), or null when it is not one.</summary>
    public static string? FromStorePath(string storePath) => throw new NotImplementedException();
}
