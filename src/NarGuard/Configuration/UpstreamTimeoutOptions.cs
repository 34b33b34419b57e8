namespace NarGuard.Configuration;

/// <summary>Per-upstream overrides of <see cref="TimeoutOptions"/>: null means "the top-level value".</summary>
public sealed class UpstreamTimeoutOptions
{
    public TimeSpan? Connect { get; set; }
    public TimeSpan? NarInfo { get; set; }
    public TimeSpan? NarHeaders { get; set; }
    public TimeSpan? Stall { get; set; }
    public TimeSpan? Nar { get; set; }

    /// <summary>The effective timeouts: each override, else <paramref name="defaults"/>'.</summary>
    public TimeoutOptions Over(TimeoutOptions defaults) => new()
    {
        Connect = Connect ?? defaults.Connect,
        NarInfo = NarInfo ?? defaults.NarInfo,
        NarHeaders = NarHeaders ?? defaults.NarHeaders,
        Stall = Stall ?? defaults.Stall,
        Nar = Nar ?? defaults.Nar,
    };
}
