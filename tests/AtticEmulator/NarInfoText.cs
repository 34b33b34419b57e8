using System.Text;

namespace AtticEmulator;

/// <summary>Formats a narinfo exactly as Attic does (CONTEXT §3): hex NarHash, URL without a
/// compression extension, no FileHash/FileSize, a non-standard System line.</summary>
internal static class NarInfoText
{
    public static string Format(StoreObject obj, BodyCompression compression, long advertisedNarSize)
    {
        var text = new StringBuilder();
        text.Append("StorePath: ").Append(obj.StorePath).Append('\n');
        text.Append("URL: nar/").Append(obj.StoreHash).Append(".nar\n");
        text.Append("Compression: ").Append(ChunkedCompressor.Name(compression)).Append('\n');
        text.Append("NarHash: ").Append(obj.NarHash).Append('\n');
        text.Append("NarSize: ").Append(advertisedNarSize).Append('\n');
        text.Append("References: ").Append(string.Join(' ', obj.References)).Append('\n');
        if (obj.Deriver is not null)
        {
            text.Append("Deriver: ").Append(obj.Deriver).Append('\n');
        }

        foreach (var sig in obj.Signatures)
        {
            text.Append("Sig: ").Append(sig).Append('\n');
        }

        text.Append("System: x86_64-linux\n");
        return text.ToString();
    }
}
