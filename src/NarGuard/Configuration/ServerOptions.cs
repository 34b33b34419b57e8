namespace NarGuard.Configuration;

/// <summary>Settings of NarGuard's own HTTP server (Kestrel) that are a performance choice, each measured (docs/BENCHMARKS.md).</summary>
public sealed class ServerOptions
{
    /// <summary>
    /// Response bytes Kestrel buffers per connection before a write waits for the socket (Kestrel's
    /// Limits.MaxResponseBufferSize). 256 KiB, four times Kestrel's default, matches the 256 KiB flushes of spool hits,
    /// so the next file read overlaps the socket send of the last: +9 to +17 % warm throughput against a control
    /// in two side-by-side runs, 1 MiB no better (docs/BENCHMARKS.md, "Kestrel and HttpClient settings"). Costs at
    /// most 256 KiB per connection that is being served.
    /// </summary>
    public long ResponseBufferBytes { get; set; } = 256 * 1024;
}
