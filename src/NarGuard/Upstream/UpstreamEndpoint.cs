using NarGuard.Configuration;

namespace NarGuard.Upstream;

/// <summary>The resolved upstream: where the cache lives, how to authenticate, and which hosts a redirect may reach.</summary>
public sealed class UpstreamEndpoint
{
    public UpstreamEndpoint(NarGuardOptions options)
    {
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
        AllowedRedirectHosts = new HashSet<string>(options.Redirects.AllowedHosts, StringComparer.OrdinalIgnoreCase) { CacheUri.Host };
        MaxRedirects = options.Redirects.MaxHops;
    }

    /// <summary>The cache base with a trailing slash: narinfo and NAR URLs resolve against it.</summary>
    public Uri CacheUri { get; }
    /// <summary>scheme://host:port of the upstream, the destination of pass-through requests.</summary>
    public string Origin { get; }
    /// <summary>The path the cache is served under, without trailing slash ("" for the root).</summary>
    public string CachePath { get; }
    public string? HostHeader { get; }
    /// <summary>"Bearer ..." from the configured token, used when the client sends none. Never logged.</summary>
    public string? DefaultAuthorization { get; }
    public IReadOnlySet<string> AllowedRedirectHosts { get; }
    public int MaxRedirects { get; }

    /// <summary>True when <paramref name="uri"/> is the upstream itself (same scheme, host and port): only then are credentials and the Host override sent.</summary>
    public bool IsUpstream(Uri uri) =>
        string.Equals(uri.Scheme, CacheUri.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Host, CacheUri.Host, StringComparison.OrdinalIgnoreCase)
        && uri.Port == CacheUri.Port;

    /// <summary>
    /// Resolves a narinfo's URL: relative URLs against the cache (never climbing out of it), absolute http(s) URLs
    /// only when their host is one a redirect may reach. False when the URL points anywhere else.
    /// </summary>
    public bool TryResolveNarUrl(string url, out Uri uri)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            uri = absolute;
            return AllowedRedirectHosts.Contains(absolute.Host);
        }
        if (Uri.TryCreate(url, UriKind.Relative, out var relative) && !url.StartsWith('/') && !url.Contains("..", StringComparison.Ordinal))
        {
            uri = new Uri(CacheUri, relative);
            return true;
        }
        uri = CacheUri;
        return false;
    }

    /// <summary>The Authorization to send upstream: the client's own, else the configured token.</summary>
    public string? AuthorizationFor(string? clientAuthorization) =>
        string.IsNullOrEmpty(clientAuthorization) ? DefaultAuthorization : clientAuthorization;
}
