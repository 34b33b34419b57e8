namespace NarGuard.Core.Hashing;

/// <summary>The 32-character nix32 hash part of a store path (/nix/store/&lt;hash&gt;-&lt;name&gt;).</summary>
public static class StoreHash
{
    public const int Length = 32;

    /// <summary>Exactly 32 characters of the nix32 alphabet.</summary>
    public static bool IsValid(ReadOnlySpan<char> text) => text.Length == Length && Nix32.IsNix32(text);

    /// <summary>The hash part of a full store path ("/nix/store/abc...-name"), or null when it is not one.</summary>
    public static string? FromStorePath(string storePath)
    {
        if (string.IsNullOrEmpty(storePath))
        {
            return null;
        }
        // Any store directory is accepted: a cache built for /gnu/store or a custom prefix is still a cache,
        // and the hash part is all the proxy keys on.
        ReadOnlySpan<char> path = storePath;
        int slash = path.LastIndexOf('/');
        if (slash < 0)
        {
            return null;
        }
        ReadOnlySpan<char> baseName = path[(slash + 1)..];
        return StorePathName.IsValidBaseName(baseName) ? new string(baseName[..Length]) : null;
    }
}
