using NarGuard.Core.Hashing;
using StoreHashes = NarGuard.Core.Hashing.StoreHash;

namespace NarGuard.Guards;

public enum CacheRouteKind
{
    NarInfo,
    Nar,
    PassThrough,
    BadRequest,
}

/// <summary>
/// Classifies a request path before any I/O. A malformed narinfo or NAR name is a 400 that says why, so garbage
/// never reaches the upstream; anything that is not a narinfo or a NAR passes through to the upstream untouched.
/// </summary>
public readonly record struct CacheRequest(CacheRouteKind Kind, string? StoreHash = null, string? FileName = null, string? Error = null)
{
    private const string NarInfoSuffix = ".narinfo";

    public static CacheRequest Classify(string path, string cachePath)
    {
        if (!path.StartsWith(cachePath, StringComparison.Ordinal) || path.Length <= cachePath.Length || path[cachePath.Length] != '/')
        {
            return new CacheRequest(CacheRouteKind.PassThrough);
        }
        var rest = path.AsSpan(cachePath.Length + 1);
        if (rest.EndsWith(NarInfoSuffix, StringComparison.Ordinal))
        {
            // "x/<hash>.narinfo" is no narinfo Nix asks for; passing it through would let a name that failed the
            // hash check below reach the upstream anyway.
            var hash = rest[..^NarInfoSuffix.Length];
            return hash.IndexOf('/') < 0 && StoreHashes.IsValid(hash)
                ? new CacheRequest(CacheRouteKind.NarInfo, hash.ToString())
                : new CacheRequest(CacheRouteKind.BadRequest, Error: "a narinfo name is 32 nix32 characters (0-9, a-z without e, o, u, t) followed by .narinfo");
        }
        if (rest.StartsWith("nar/", StringComparison.Ordinal))
        {
            var file = rest[4..];
            if (file.IndexOfAny('/', '\\', '%') >= 0 || file.Contains("..", StringComparison.Ordinal))
            {
                return new CacheRequest(CacheRouteKind.BadRequest, Error: "a NAR name is a single path segment");
            }
            if (file.Length < StoreHashes.Length + 4 || file[StoreHashes.Length] != '.' || !StoreHashes.IsValid(file[..StoreHashes.Length]) || !file[StoreHashes.Length..].StartsWith(".nar", StringComparison.Ordinal))
            {
                return new CacheRequest(CacheRouteKind.BadRequest, Error: "a NAR name is the 32-character store hash followed by .nar and the compression's extension");
            }
            return new CacheRequest(CacheRouteKind.Nar, file[..StoreHashes.Length].ToString(), file.ToString());
        }
        return new CacheRequest(CacheRouteKind.PassThrough);
    }
}
