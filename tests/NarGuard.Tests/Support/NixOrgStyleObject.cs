using System.Security.Cryptography;
using NarGuard.Core.Hashing;

namespace NarGuard.Tests.Support;

/// <summary>
/// A store path published the way cache.nixos.org publishes it, unlike Attic: a zstd body named by its file hash,
/// nix32 hashes, FileHash and FileSize in the narinfo. The narinfo's lines are in a fixed order (URL second).
/// </summary>
public sealed record NixOrgStyleObject(string StorePath, string StoreHash, byte[] Nar, byte[] Body, string Url, string NarInfo)
{
    /// <param name="url">The narinfo's URL; default nar/&lt;nix32 file hash&gt;.nar.zst.</param>
    /// <param name="references">The References line (store path names without /nix/store/).</param>
    /// <param name="wrongFileHash">Announce a FileHash one bit off the body's.</param>
    /// <param name="fileSizeDelta">Announce a FileSize this far off the body's.</param>
    public static NixOrgStyleObject Make(string storePath, byte[] nar, int level = 3, string? url = null, string references = "",
        IReadOnlyList<string>? sigs = null, bool wrongFileHash = false, int fileSizeDelta = 0)
    {
        using var compressor = new ZstdSharp.Compressor(level);
        var body = compressor.Wrap(nar).ToArray();
        var fileHash = SHA256.HashData(body);
        if (wrongFileHash)
        {
            fileHash[0] ^= 1;
        }
        var fileHashText = new NixHash(fileHash).ToNix32String();
        url ??= $"nar/{fileHashText["sha256:".Length..]}.nar.zst";
        var narInfo = $"""
            StorePath: {storePath}
            URL: {url}
            Compression: zstd
            FileHash: {fileHashText}
            FileSize: {body.Length + fileSizeDelta}
            NarHash: {new NixHash(SHA256.HashData(nar)).ToNix32String()}
            NarSize: {nar.Length}
            References: {references}

            """.Replace("\r\n", "\n");
        foreach (var sig in sigs ?? [])
        {
            narInfo += $"Sig: {sig}\n";
        }
        return new NixOrgStyleObject(storePath, StorePaths.HashOf(storePath), nar, body, url, narInfo);
    }
}
