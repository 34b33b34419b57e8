namespace NarGuard.Core.Hashing;

/// <summary>
/// The rules Nix's StorePath constructor applies to "&lt;hash&gt;-&lt;name&gt;" (libstore path.cc). NarGuard applies them to
/// StorePath, References and Deriver because a narinfo Nix cannot parse is a hard error for the client, while a
/// narinfo the proxy refuses becomes a clean 404.
/// </summary>
internal static class StorePathName
{
    /// <summary>Nix's StorePath::MaxPathLen.</summary>
    public const int MaxNameLength = 211;

    /// <summary>32 nix32 characters, '-', then a valid name.</summary>
    public static bool IsValidBaseName(ReadOnlySpan<char> baseName) =>
        baseName.Length > StoreHash.Length + 1
        && StoreHash.IsValid(baseName[..StoreHash.Length])
        && baseName[StoreHash.Length] == '-'
        && IsValidName(baseName[(StoreHash.Length + 1)..]);

    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return false;
        }
        // "." and ".." (alone or as the first dash-separated component) would escape the store directory.
        if (name[0] == '.')
        {
            if (name.Length == 1 || name[1] == '-')
            {
                return false;
            }
            if (name[1] == '.' && (name.Length == 2 || name[2] == '-'))
            {
                return false;
            }
        }
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.' or '_' or '?' or '='))
            {
                return false;
            }
        }
        return true;
    }
}
