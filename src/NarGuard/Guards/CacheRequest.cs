using NarGuard.Core.Hashing;
using StoreHashes = NarGuard.Core.Hashing.StoreHash;

namespace NarGuard.Guards;

public enum CacheRouteKind
{
    NarInfo,
    Nar,
    /// <summary>nix-cache-info: answered by NarGuard itself (CacheInfo settings).</summary>
    CacheInfo,
    PassThrough,
    BadRequest,
}

/// <summary>
/// Classifies a request path before any I/O. A malformed narinfo or NAR name is a 400 that says why, so garbage
/// never reaches the upstream; anything that is not a narinfo or a NAR passes through to the upstream untouched.
/// </summary>
/// <param name="FileName">What follows nar/: "&lt;storehash&gt;.nar[.ext]" for the first upstream, "&lt;name&gt;/&lt;storehash&gt;.nar[.ext]" for another.</param>
/// <param name="Upstream">The upstream a NAR URL names; null for the first upstream's URLs. Checked against the configuration by the guard.</param>
public readonly record struct CacheRequest(CacheRouteKind Kind, string? StoreHash = null, string? FileName = null, string? Error = null, string? Upstream = null)
{
    private const string NarInfoSuffix = ".narinfo";

    public static CacheRequest Classify(string path, string cachePath)
    {
        if (!path.StartsWith(cachePath, StringComparison.Ordinal) || path.Length <= cachePath.Length || path[cachePath.Length] != '/')
        {
            return new CacheRequest(CacheRouteKind.PassThrough);
        }
        var rest = path.AsSpan(cachePath.Length + 1);
        if (rest.SequenceEqual("nix-cache-info"))
        {
            return new CacheRequest(CacheRouteKind.CacheInfo);
        }
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
            string? upstream = null;
            var slash = file.IndexOf('/');
            if (slash > 0 && IsUpstreamName(file[..slash]))
            {
                // nar/<name>/<storehash>.nar...: a NAR of another upstream than the first (see NarUrls).
                upstream = file[..slash].ToString();
                file = file[(slash + 1)..];
            }
            if (file.IndexOfAny('/', '\\', '%') >= 0 || file.Contains("..", StringComparison.Ordinal))
            {
                return new CacheRequest(CacheRouteKind.BadRequest, Error: "a NAR name is a single path segment");
            }
            if (file.Length < StoreHashes.Length + 4 || file[StoreHashes.Length] != '.' || !StoreHashes.IsValid(file[..StoreHashes.Length]) || !file[StoreHashes.Length..].StartsWith(".nar", StringComparison.Ordinal))
            {
                return new CacheRequest(CacheRouteKind.BadRequest, Error: "a NAR name is the 32-character store hash followed by .nar and the compression's extension");
            }
            return new CacheRequest(CacheRouteKind.Nar, file[..StoreHashes.Length].ToString(), upstream is null ? file.ToString() : upstream + "/" + file.ToString(), Upstream: upstream);
        }
        return new CacheRequest(CacheRouteKind.PassThrough);
    }

    // The shape of a configured upstream name (UpstreamListValidator); whether it is configured is the guard's question.
    private static bool IsUpstreamName(ReadOnlySpan<char> name)
    {
        if (name.Length is < 1 or > 32 || name[0] == '-')
        {
            return false;
        }
        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
