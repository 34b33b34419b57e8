namespace NarGuard.Configuration;

/// <summary>
/// One entry of <see cref="NarGuardOptions.Upstreams"/>: a further binary cache asked, in list order, after the
/// first upstream (<see cref="NarGuardOptions.Upstream"/>, or the first entry when Upstream is not set).
/// Everything left unset falls back to the top-level setting of the same name.
/// </summary>
public sealed class UpstreamOptions
{
    /// <summary>The name of the first upstream when UpstreamName does not set one (later ones default to u2, u3, ...).</summary>
    public const string FirstDefaultName = "u1";

    /// <summary>
    /// A short label, [a-z0-9-], at most 32 characters, unique. It is a metric label value and the first path segment
    /// of this upstream's NAR URLs (nar/&lt;name&gt;/&lt;storehash&gt;.nar...), which Nix keeps for 30 days: renaming an
    /// upstream turns those cached URLs into 404s (a clean fallback). Default: u1, u2, ... by position.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>The cache URL including the cache name, e.g. https://cache.nixos.org or http://attic:8080/team.</summary>
    public string? Url { get; set; }

    /// <summary>Bearer token sent to this upstream when the client sends no Authorization header.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding <see cref="Token"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>The Host header sent to this upstream. Default: the URL's host.</summary>
    public string? Host { get; set; }

    /// <summary>Per-upstream timeouts; each unset one is the top-level Timeouts value.</summary>
    public UpstreamTimeoutOptions Timeouts { get; set; } = new();

    /// <summary>Per-upstream redirect allow-list; unset is the top-level Redirects:AllowedHosts.</summary>
    public UpstreamRedirectOptions Redirects { get; set; } = new();

    /// <summary>Per-upstream circuit breaker; each unset value is the top-level Resilience:Circuit value.</summary>
    public UpstreamCircuitOptions Circuit { get; set; } = new();
}
