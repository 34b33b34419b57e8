using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;

namespace NarGuard.Core.Verification;

/// <summary>What a NAR body must be, taken from its narinfo.</summary>
public sealed record NarExpectation(NarCompression Compression, NixHash NarHash, long NarSize, NixHash? FileHash = null, long? FileSize = null)
{
    public static NarExpectation From(NarInfo info) => new(info.Compression, info.NarHash, info.NarSize, info.FileHash, info.FileSize);
}
