using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace NarGuard.Upstream;

/// <summary>
/// YARP transform for everything the guards do not handle (nix-cache-info, /_api/v1 pushes, log/, realisations/):
/// the request goes upstream untouched, except the Host (the upstream's own or the configured one) and, when the client sent none, the proxy's token (never for a push).
/// </summary>
public sealed class PassThroughTransformer(UpstreamEndpoint endpoint) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        // The base transformer copies the client's Host. The upstream must see its own name (or UpstreamHost), never
        // one the client chose: Attic builds absolute URLs from Host and checks it against allowed-hosts, and the
        // HttpClient metrics would label series with whatever names clients send. Null means the URI's authority.
        proxyRequest.Headers.Host = endpoint.HostHeader;
        // The proxy's token is for reading the cache. A push (upload-path) carries the pusher's own token or none:
        // lending it the proxy's would let any client that reaches the proxy write to the cache.
        if (!proxyRequest.Headers.Contains("Authorization") && endpoint.DefaultAuthorization is { } authorization && !IsPush(httpContext))
        {
            proxyRequest.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
    }

    private static bool IsPush(HttpContext context) =>
        context.Request.Path.Value?.EndsWith("/_api/v1/upload-path", StringComparison.Ordinal) ?? false;
}
