namespace NarGuard.Configuration;

/// <summary>Per-upstream override of Redirects:AllowedHosts (MaxHops stays global).</summary>
public sealed class UpstreamRedirectOptions
{
    /// <summary>Hosts a NAR redirect from this upstream may go to besides its own; null means the top-level list.</summary>
    public List<string>? AllowedHosts { get; set; }
}
