namespace AtticEmulator;

/// <summary>The <c>Compression:</c> the emulator advertises and applies to NAR bodies.</summary>
public enum BodyCompression
{
    /// <summary>Each chunk a separate zstd frame, frames concatenated (Attic's default).</summary>
    Zstd,

    /// <summary>Each chunk a separate xz stream, streams concatenated. The emulator writes the
    /// LZMA2 data as stored (uncompressed) chunks: valid xz that any decoder reads, without a
    /// managed LZMA2 encoder.</summary>
    Xz,

    /// <summary>The NAR as it is.</summary>
    None,

    /// <summary>Brotli. Brotli has no concatenation framing (a decoder stops at the end of the
    /// first stream), so the whole NAR is one stream; chunk boundaries only affect flushing.</summary>
    Br,
}
