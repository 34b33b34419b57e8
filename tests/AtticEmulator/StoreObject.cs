namespace AtticEmulator;

/// <summary>One store path as the emulator serves it.</summary>
/// <param name="StorePath">Full store path, <c>/nix/store/&lt;hash&gt;-&lt;name&gt;</c>.</param>
/// <param name="StoreHash">The 32-character nix32 hash part, the key of every route.</param>
/// <param name="Nar">The uncompressed NAR.</param>
/// <param name="NarHashHex">SHA-256 of <paramref name="Nar"/>, lower-case hex (Attic's form).</param>
/// <param name="Body">The compressed NAR body served on the NAR URL (chunks concatenated).</param>
/// <param name="References">Referenced store paths, base names (<c>hash-name</c>), sorted.</param>
/// <param name="Deriver">Deriver base name, or null.</param>
/// <param name="Signatures">Values of <c>Sig:</c> lines.</param>
public sealed record StoreObject(
    string StorePath,
    string StoreHash,
    byte[] Nar,
    string NarHashHex,
    byte[] Body,
    IReadOnlyList<string> References,
    string? Deriver,
    IReadOnlyList<string> Signatures)
{
    /// <summary>Length of <see cref="Nar"/>, the true <c>NarSize</c>.</summary>
    public long NarSize => Nar.LongLength;

    /// <summary><c>sha256:&lt;hex&gt;</c>, as the narinfo's <c>NarHash:</c> line.</summary>
    public string NarHash => "sha256:" + NarHashHex;

    /// <summary>Lengths of the compressed chunks that make up <see cref="Body"/>, in order.</summary>
    internal IReadOnlyList<int> ChunkLengths { get; init; } = [];

    /// <summary>S3 keys of the compressed chunks, in order, for an object uploaded in S3 mode (null: memory only).
    /// A healthy download streams these from S3; <see cref="Body"/> stays for the faults that alter it.</summary>
    internal IReadOnlyList<string>? ChunkKeys { get; init; }
}
