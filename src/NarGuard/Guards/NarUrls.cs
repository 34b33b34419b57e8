using NarGuard.Core.NarInfos;

namespace NarGuard.Guards;

/// <summary>
/// The NAR URL NarGuard advertises for a narinfo. It must carry the store hash, so that a NAR request can be
/// resolved after a restart, or 30 days later when Nix's positive narinfo cache sends the client straight to it.
/// Attic's own "nar/&lt;storehash&gt;.nar" already does and is kept; any other shape (cache.nixos.org's
/// "nar/&lt;filehash&gt;.nar.xz", absolute URLs) is rewritten. The URL is not covered by narinfo signatures.
/// </summary>
public static class NarUrls
{
    public static string ServedUrl(NarInfo info)
    {
        var url = info.Url;
        if (url.StartsWith("nar/", StringComparison.Ordinal)
            && url.Length > 4 + 32 + 1
            && url.AsSpan(4, 32).SequenceEqual(info.StoreHash)
            && url[4 + 32] == '.'
            && url.IndexOfAny(['/', '?', '#', '\\', '%'], 4) < 0)
        {
            return url;
        }
        return "nar/" + info.StoreHash + ".nar" + Extension(info.Compression);
    }

    /// <summary>The file name part of <see cref="ServedUrl"/>, which a NAR request must name exactly.</summary>
    public static string ServedFileName(NarInfo info) => ServedUrl(info)[4..];

    /// <summary>
    /// The NAR URL for a narinfo from the upstream named <paramref name="upstream"/>: null (the first upstream) keeps
    /// <see cref="ServedUrl(NarInfo)"/> exactly; any other gets nar/&lt;name&gt;/&lt;storehash&gt;.nar&lt;ext&gt;, so the NAR
    /// request routes back to the upstream whose narinfo (NarHash, Compression) the client holds, also after a restart.
    /// </summary>
    public static string ServedUrl(NarInfo info, string? upstream) =>
        upstream is null ? ServedUrl(info) : "nar/" + upstream + "/" + info.StoreHash + ".nar" + Extension(info.Compression);

    public static string ServedFileName(NarInfo info, string? upstream) => ServedUrl(info, upstream)[4..];

    public static string ServedText(NarInfo info, string? upstream)
    {
        var served = ServedUrl(info, upstream);
        return (served == info.Url ? info : info.WithUrl(served)).Format();
    }

    /// <summary>The upstream a served NAR URL names (null: the first upstream's URL shape).</summary>
    public static string? UpstreamOf(string servedUrl)
    {
        if (!servedUrl.StartsWith("nar/", StringComparison.Ordinal))
        {
            return null;
        }
        var slash = servedUrl.IndexOf('/', 4);
        return slash < 0 ? null : servedUrl[4..slash];
    }

    /// <summary>The narinfo text as served: the upstream's text, with URL rewritten only when it had to be.</summary>
    public static string ServedText(NarInfo info)
    {
        var served = ServedUrl(info);
        return (served == info.Url ? info : info.WithUrl(served)).Format();
    }

    private static string Extension(NarCompression compression) => compression switch
    {
        NarCompression.None => "",
        NarCompression.Xz => ".xz",
        NarCompression.Bzip2 => ".bz2",
        NarCompression.Zstd => ".zst",
        NarCompression.Brotli => ".br",
        NarCompression.Gzip => ".gz",
        NarCompression.Unsupported => "",
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, null),
    };
}
