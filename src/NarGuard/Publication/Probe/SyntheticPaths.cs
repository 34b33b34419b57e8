using System.Security.Cryptography;
using System.Text;
using NarGuard.Core.Hashing;

namespace NarGuard.Publication.Probe;

/// <summary>
/// The synthetic paths of probe-publish, made here without Nix. Each is what <c>builtins.toFile NAME TEXT</c> makes: a
/// text store path (the store path hash computed as Nix's makeTextPath does) whose NAR is one regular file.
/// <see cref="Small"/> has fixed content under a name new every run, like the operators' one-path probe: a new
/// path, but after the first run ever its NAR is already in Attic's global store, so Attic deduplicates it and never
/// touches storage. <see cref="Closure"/> adds paths whose content is new every run, so their chunks must be written.
/// </summary>
public static class SyntheticPaths
{
    public const string StoreDir = "/nix/store";
    public const string SmallName = "narguard-publication-probe";
    public const string SmallText = "narguard publication probe: a fixed path, deduplicated after its first push\n";

    // Fresh paths span two of Attic's chunks and compress like text, as small real outputs do.
    private const int FreshSize = 96 * 1024;

    public static PublishPath Small(string runId) => TextPath($"{SmallName}-{runId}", Encoding.UTF8.GetBytes(SmallText), [], PublishPath.Fixed);

    /// <summary>The small path, <paramref name="fresh"/> fresh paths, and a fresh root referencing all of them, dependencies first.</summary>
    public static IReadOnlyList<PublishPath> Closure(int fresh, string runId)
    {
        var small = Small(runId);
        var paths = new List<PublishPath> { small };
        for (var i = 1; i <= fresh; i++)
        {
            paths.Add(TextPath($"narguard-publication-probe-{runId}-{i}", FreshText(runId, i), [], PublishPath.Fresh));
        }
        paths.Add(TextPath($"narguard-publication-probe-{runId}-root", Encoding.UTF8.GetBytes(string.Join('\n', paths.Select(p => p.StorePath)) + "\n"),
            paths.Select(p => p.StorePath).ToList(), PublishPath.Fresh));
        return paths;
    }

    /// <summary>Nix's makeTextPath: sha256 of "text[:ref]...:sha256:HEX:STOREDIR:NAME", folded to 20 bytes, nix32.</summary>
    public static string TextStorePath(string name, byte[] contents, IEnumerable<string> references)
    {
        var type = "text" + string.Concat(references.Order(StringComparer.Ordinal).Select(r => ":" + r));
        var fingerprint = $"{type}:sha256:{Convert.ToHexStringLower(SHA256.HashData(contents))}:{StoreDir}:{name}";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint));
        var folded = new byte[20];
        for (var i = 0; i < digest.Length; i++)
        {
            folded[i % folded.Length] ^= digest[i];
        }
        return $"{StoreDir}/{Nix32.Encode(folded)}-{name}";
    }

    /// <summary>The NAR of a single regular, non-executable file (what nix-store --dump writes for it).</summary>
    public static byte[] NarOfFile(byte[] contents) => NarGuard.Core.Nars.NarFile.OfRegularFile(contents);

    private static PublishPath TextPath(string name, byte[] contents, IReadOnlyList<string> references, string origin)
    {
        var storePath = TextStorePath(name, contents, references);
        var nar = NarOfFile(contents);
        return new PublishPath(storePath, storePath[(StoreDir.Length + 1)..][..StoreHash.Length], origin, nar.LongLength,
            Convert.ToHexStringLower(SHA256.HashData(nar)), references, null, _ => Task.FromResult<Stream>(new MemoryStream(nar, writable: false)));
    }

    private static byte[] FreshText(string runId, int index)
    {
        var text = new StringBuilder(FreshSize + 128);
        for (var line = 0; text.Length < FreshSize; line++)
        {
            text.Append("narguard publication probe ").Append(runId).Append(" path ").Append(index).Append(" line ").Append(line).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
