namespace NarGuard.Configuration;

/// <summary>Settings of NarGuard's own HTTP server (Kestrel) that are a performance choice, each measured (docs/BENCHMARKS.md).</summary>
public sealed class ServerOptions
{
    /// <summary>
    /// Response bytes Kestrel buffers per connection before a write waits for the socket (Kestrel's
    /// Limits.MaxResponseBufferSize). NAR bodies are written in 128-256 KiB flushes; see docs/BENCHMARKS.md for
    /// the measurement behind the default.
    /// </summary>
    public long ResponseBufferBytes { get; set; } = 64 * 1024;
}
