using NarGuard.Configuration;

namespace NarGuard.Upstream;

/// <summary>The resolved upstream: where the cache lives, how to authenticate, and which hosts a redirect may reach.</summary>
public sealed class UpstreamEndpoint
{
    public UpstreamEndpoint(NarGuardOptions options)
    {
        Name = options.UpstreamName ?? UpstreamOptions.FirstDefaultName;
        var url = options.Upstream!.TrimEnd('/');
        CacheUri = new Uri(url + "/");
        Origin = CacheUri.GetLeftPart(UriPartial.Authority);
        // "/main" for http://host:8080/main; "" when the cache is served at the root.
        CachePath = CacheUri.AbsolutePath.TrimEnd('/');
        HostHeader = string.IsNullOrWhiteSpace(options.UpstreamHost) ? null : options.UpstreamHost;
        var token = options.UpstreamToken;
        if (!string.IsNullOrEmpty(options.UpstreamTokenFile))
        {
            token = File.ReadAllText(options.UpstreamTokenFile).Trim();
        }
        DefaultAuthorization = string.IsNullOrEmpty(token) ? null : "Bearer " + token;
        ConfiguredRedirectHosts = new HashSet<string>(options.Redirects.AllowedHosts, StringComparer.OrdinalIgnoreCase);
        AllowedRedirectHosts = new HashSet<string>(options.Redirects.AllowedHosts, StringComparer.OrdinalIgnoreCase) { CacheUri.Host };
        MaxRedirects = options.Redirects.MaxHops;
    }

    /// <summary>The upstream's configured name (a bounded metric label value; u1 unless named).</summary>
    public string Name { get; }

    /// <summary>The cache base with a trailing slash: narinfo and NAR URLs resolve against it.</summary>
    public Uri CacheUri { get; }
    /// <summary>scheme://host:port of the upstream, the destination of pass-through requests.</summary>
    public string Origin { get; }
    /// <summary>The path the cache is served under, without trailing slash ("" for the root).</summary>
    public string CachePath { get; }
    public string? HostHeader { get; }
    /// <summary>"Bearer ..." from the configured token, used when the client sends none. Never logged.</summary>
    public string? DefaultAuthorization { get; }
    /// <summary>The upstream's host plus Redirects:AllowedHosts. Host names only: prefer <see cref="IsAllowedTarget"/>, which also checks the port.</summary>
    public IReadOnlySet<string> AllowedRedirectHosts { get; }
    /// <summary>Redirects:AllowedHosts as configured (any port of these hosts may be fetched).</summary>
    public IReadOnlySet<string> ConfiguredRedirectHosts { get; }
    public int MaxRedirects { get; }

    /// <summary>True when <paramref name="uri"/> is the upstream itself (same scheme, host and port): only then are credentials and the Host override sent.</summary>
    public bool IsUpstream(Uri uri) =>
        string.Equals(uri.Scheme, CacheUri.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Host, CacheUri.Host, StringComparison.OrdinalIgnoreCase)
        && uri.Port == CacheUri.Port;

    /// <summary>
    /// Resolves a narinfo's URL: relative URLs against the cache (never climbing out of it), absolute http(s) URLs
    /// only when a redirect may reach them (<see cref="IsAllowedTarget"/>). False when the URL points anywhere else.
    /// </summary>
    public bool TryResolveNarUrl(string url, out Uri uri)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            uri = absolute;
            return IsAllowedTarget(absolute);
        }
        if (Uri.TryCreate(url, UriKind.Relative, out var relative) && !url.StartsWith('/') && !url.Contains("..", StringComparison.Ordinal))
        {
            uri = new Uri(CacheUri, relative);
            return true;
        }
        uri = CacheUri;
        return false;
    }

    /// <summary>
    /// Whether a NAR may be fetched from <paramref name="uri"/>: http(s) only, and either the upstream itself (same
    /// scheme, host and port) or a host on Redirects:AllowedHosts. The upstream's own host on another port is not
    /// enough: a redirect to upstream-host:2379 would reach whatever else listens on that machine (SSRF).
    /// </summary>
    public bool IsAllowedTarget(Uri uri) =>
        uri.IsAbsoluteUri
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && (IsUpstream(uri) || ConfiguredRedirectHosts.Contains(uri.Host));

    /// <summary>The Authorization to send upstream: the client's own, else the configured token.</summary>
    public string? AuthorizationFor(string? clientAuthorization) =>
        string.IsNullOrEmpty(clientAuthorization) ? DefaultAuthorization : clientAuthorization;
}
